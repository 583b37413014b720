#!/bin/sh
# Site fixes applied to Debian's generic cloud image with `virt-customize --run`: make it behave
# like the images built here (a unique identity per instance, the site's cloud-init sources).
set -eu

# virt-customize writes a machine-id of its own: every instance must generate its own, and its own
# SSH host keys.
: >/etc/machine-id
rm -f /etc/ssh/ssh_host_*

# The clouds here hand instances their data on a config drive (img_config_drive) or NoCloud seed:
# no probing of network metadata services that do not exist at boot.
printf 'datasource_list: [NoCloud, ConfigDrive, None]\n' >/etc/cloud/cloud.cfg.d/91-site.cfg

echo "OSIMAGES_CUSTOMIZED_BY=os-image-pipeline" >>/etc/osimages-release
