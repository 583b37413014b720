#!/usr/bin/env bash
# The lab's services on 127.0.0.1, state under .lab/services (kept across down/up):
# PostgreSQL, Keystone, Glance, a Docker engine, two registries (internal, public), a vendor image
# mirror, a Puppet server, and qemu-user-static registered for arm64 binaries.
#
#   lab-services.sh up      start what is not running, wait until each answers, write
#                           .lab/clouds.yaml (lab-admin, lab-prod, lab-test) and .lab/env
#   lab-services.sh down    stop them all, and the lab's test machines (state, images and registry
#                           contents stay)
#   lab-services.sh status  one line per service
#
# Ports (environment): LAB_POSTGRES_PORT 15432, LAB_KEYSTONE_PORT 15000, LAB_GLANCE_PORT 19292,
# LAB_REGISTRY_PORTS "5001 5002" (the lab stack's registries), LAB_VENDOR_PORT 18080 (the lab
# stack's builders.vendor.url), LAB_PUPPET_PORT 18140. OSIP_LAB_DIR moves .lab.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVICE=lab
# shellcheck source=scripts/ci/services/lib.sh
source scripts/ci/services/lib.sh
services=scripts/ci/services
lab=$(mkdir -p "${OSIP_LAB_DIR:-.lab}" && cd "${OSIP_LAB_DIR:-.lab}" && pwd)
dir="$lab/services"
pg_port=${LAB_POSTGRES_PORT:-15432}
ks_port=${LAB_KEYSTONE_PORT:-15000}
gl_port=${LAB_GLANCE_PORT:-19292}
vendor_port=${LAB_VENDOR_PORT:-18080}
# The vendor version the lab stack's debian12cloud release downloads (its vendorVersions).
vendor_version=12.12
puppet_port=${LAB_PUPPET_PORT:-18140}
# The lab stack's testing.agent: its server name, and the address the VMs reach it at (qemu
# forwards that address's port 8140 to the server on 127.0.0.1).
puppet_name=puppet.osimages.lab
puppet_guest=10.0.2.100:8140
binfmt=/proc/sys/fs/binfmt_misc
read -r -a registry_ports <<<"${LAB_REGISTRY_PORTS:-5001 5002}"
registry_names=(internal public)
keystone_url="http://127.0.0.1:$ks_port/v3"
clouds="$lab/clouds.yaml"

# Passwords of this lab, made once, readable by root only, never printed.
secrets() {
    local file="$dir/secrets.env"
    if [[ ! -f "$file" ]]; then
        mkdir -p "$dir"
        (
            umask 077
            for name in ADMIN KEYSTONE_DB GLANCE_DB GLANCE PROD TEST; do
                echo "${name}_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
            done >"$file.part"
            mv "$file.part" "$file"
        )
    fi
    # shellcheck source=/dev/null
    source "$file"
}

write_clouds() {
    entry() { # name user project password
        printf '  %s:\n    region_name: RegionOne\n    identity_api_version: 3\n    interface: public\n' "$1"
        printf '    connect_retries: 3\n    auth:\n      auth_url: %s\n' "$keystone_url"
        printf '      username: %s\n      password: "%s"\n      project_name: %s\n' "$2" "$4" "$3"
        printf '      user_domain_name: Default\n      project_domain_name: Default\n'
    }
    (
        umask 077
        {
            echo "# Written by scripts/dev/lab-services.sh: the lab's clouds on 127.0.0.1."
            echo "clouds:"
            entry lab-admin admin admin "$ADMIN_PASSWORD"
            entry lab-prod images-admin images "$PROD_PASSWORD"
            entry lab-test images-tester images-test "$TEST_PASSWORD"
        } >"$clouds.part"
        mv "$clouds.part" "$clouds"
    )
}

# What systemd-binfmt does at boot elsewhere: arm64 binaries run through qemu-user-static (the
# aarch64 root filesystem is finished and its container tested under emulation).
register_binfmt() {
    local conf=/usr/lib/binfmt.d/qemu-aarch64.conf
    [[ "$(uname -m)" != aarch64 && ! -e $binfmt/qemu-aarch64 ]] || return 0
    # Only the aarch64 stack needs it: the x86_64 lab goes on without, saying why.
    if [[ -f $conf ]] && { [[ -e $binfmt/register ]] || mount -t binfmt_misc binfmt_misc "$binfmt"; } &&
        cat "$conf" >"$binfmt/register"; then
        log "arm64 binaries run through qemu-user-static"
    else
        log "warning: could not register qemu-user-static for arm64 binaries ($conf, $binfmt): the lab-aarch64 stack will not build"
    fi
}

glance_answers() { OS_CLIENT_CONFIG_FILE=$clouds openstack --os-cloud "$1" image list -f value -c ID >/dev/null; }

up() {
    local t0 i
    t0=$(date +%s)
    secrets
    bash "$services/postgres.sh" start "$dir/postgres" "$pg_port"
    DB_PASSWORD=$KEYSTONE_DB_PASSWORD bash "$services/postgres.sh" database "$dir/postgres" "$pg_port" keystone
    DB_PASSWORD=$GLANCE_DB_PASSWORD bash "$services/postgres.sh" database "$dir/postgres" "$pg_port" glance
    ADMIN_PASSWORD=$ADMIN_PASSWORD DB_URL="postgresql+psycopg2://keystone:$KEYSTONE_DB_PASSWORD@127.0.0.1:$pg_port/keystone" \
        bash "$services/keystone.sh" start "$dir/keystone" "$ks_port"
    write_clouds
    GLANCE_PASSWORD=$GLANCE_PASSWORD PROD_PASSWORD=$PROD_PASSWORD TEST_PASSWORD=$TEST_PASSWORD \
        retry 3 /usr/bin/python3 "$services/keystone-accounts.py" "$clouds" "http://127.0.0.1:$gl_port"
    DB_URL="postgresql+psycopg2://glance:$GLANCE_DB_PASSWORD@127.0.0.1:$pg_port/glance" \
        KEYSTONE_URL="http://127.0.0.1:$ks_port" SERVICE_PASSWORD=$GLANCE_PASSWORD \
        bash "$services/glance.sh" start "$dir/glance" "$gl_port"
    # Ready for the stack once both projects reach Glance through Keystone's catalogue.
    wait_until 120 "Glance for lab-prod and lab-test" "$dir/glance/log/glance-api.log" \
        bash -c "$(declare -f glance_answers); clouds=$clouds; glance_answers lab-prod && glance_answers lab-test"
    register_binfmt
    bash "$services/dockerd.sh" start "$dir/docker" >/dev/null
    for i in "${!registry_names[@]}"; do
        bash "$services/registry.sh" start "$dir/registry-${registry_names[$i]}" "${registry_ports[$i]}"
    done
    bash "$services/vendor-mirror.sh" start "$dir/vendor-mirror" "$vendor_port" "$vendor_version"
    bash "$services/puppetserver.sh" start "$dir/puppetserver" "$puppet_port" "$puppet_name"
    {
        echo "# Written by scripts/dev/lab-services.sh: source it to reach the lab's services."
        echo "export OS_CLIENT_CONFIG_FILE=$clouds"
        echo "export DOCKER_HOST=unix://$dir/docker/docker.sock"
        echo "# libguestfs (vendor builds) under TCG, like the lab's VMs: KVM here cannot run stock kernels."
        echo "export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg"
        echo "# The runner's services the lab VMs reach (scripts/program/compute/lab-instance.sh)."
        echo "export LAB_GUEST_FORWARDS=$puppet_guest=127.0.0.1:$puppet_port"
    } >"$lab/env"
    log "services up in $(($(date +%s) - t0))s: Keystone 127.0.0.1:$ks_port, Glance 127.0.0.1:$gl_port," \
        "registries 127.0.0.1:${registry_ports[*]}, vendor mirror 127.0.0.1:$vendor_port, Puppet server 127.0.0.1:$puppet_port, Docker $dir/docker/docker.sock; clouds in $clouds"
}

down() {
    local i pidfile
    # The lab's test machines too: a later test run boots fresh ones (TestInstance restartOn).
    for pidfile in "$lab"/work/instances/*/qemu.pid; do
        [[ -f "$pidfile" ]] || continue
        kill "$(cat "$pidfile")" 2>/dev/null && log "stopped the test machine $(basename "$(dirname "$pidfile")")"
    done
    bash "$services/puppetserver.sh" stop "$dir/puppetserver"
    bash "$services/vendor-mirror.sh" stop "$dir/vendor-mirror"
    for i in "${!registry_names[@]}"; do bash "$services/registry.sh" stop "$dir/registry-${registry_names[$i]}"; done
    bash "$services/dockerd.sh" stop "$dir/docker"
    bash "$services/glance.sh" stop "$dir/glance"
    bash "$services/keystone.sh" stop "$dir/keystone"
    bash "$services/postgres.sh" stop "$dir/postgres"
    log "services stopped; state kept in $dir"
}

status() {
    local i
    line() { printf '%-18s %s\n' "$1" "$(if "${@:2}" >/dev/null 2>&1; then echo up; else echo down; fi)"; }
    line postgres bash -c "exec 3<>/dev/tcp/127.0.0.1/$pg_port"
    line keystone http_ok "$keystone_url/"
    line glance http_ok "http://127.0.0.1:$gl_port/versions"
    line docker test -S "$dir/docker/docker.sock"
    for i in "${!registry_names[@]}"; do
        line "registry-${registry_names[$i]}" http_ok "http://127.0.0.1:${registry_ports[$i]}/v2/"
    done
    line vendor-mirror http_ok "http://127.0.0.1:$vendor_port/debian/SHA256SUMS"
    line puppetserver bash -c "[[ \$(curl -sk -m 3 https://127.0.0.1:$puppet_port/status/v1/simple) == running ]]"
    # A kernel setting rather than a service: `down` leaves it, as others may rely on it.
    printf '%-18s %s\n' binfmt-arm64 "$(if [[ -e $binfmt/qemu-aarch64 ]]; then echo registered; else echo "not registered"; fi)"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) sed -n '2,14s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
