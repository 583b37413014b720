#!/usr/bin/python3
"""The lab's accounts in Keystone, idempotently: the image service and its endpoints, the `glance`
service user, a production project (`images`, its user with the admin role: publicizing an image
needs it) and a test project (`images-test`, its user a member only).

Usage: keystone-accounts.py CLOUDS_YAML GLANCE_URL
Reads the `lab-admin` cloud of CLOUDS_YAML; passwords from GLANCE_PASSWORD, PROD_PASSWORD and
TEST_PASSWORD in the environment. Every call is idempotent and retried a bounded number of times.
"""
import os
import sys
import time

import openstack

REGION = "RegionOne"


def retried(what, call, attempts=5):
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except (openstack.exceptions.HttpException, OSError) as e:
            status = getattr(e, "status_code", None)
            if attempt == attempts or (status is not None and 400 <= status < 500):
                raise
            print(f"[keystone-accounts] {what}: {e}; retry {attempt}", file=sys.stderr)
            time.sleep(2)


def main(clouds_yaml, glance_url):
    os.environ["OS_CLIENT_CONFIG_FILE"] = clouds_yaml
    conn = openstack.connect(cloud="lab-admin")
    ident = conn.identity
    domain = retried("domain", lambda: ident.find_domain("default"))

    def project(name, description):
        return retried(
            f"project {name}",
            lambda: ident.find_project(name, domain_id=domain.id)
            or ident.create_project(name=name, domain_id=domain.id, description=description),
        )

    def user(name, password, proj, roles):
        u = retried(f"user {name}", lambda: ident.find_user(name, domain_id=domain.id))
        if u is None:
            u = retried(
                f"user {name}",
                lambda: ident.create_user(
                    name=name, password=password, domain_id=domain.id, default_project_id=proj.id
                ),
            )
        else:
            retried(f"user {name}", lambda: ident.update_user(u, password=password))
        for role_name in roles:
            role = retried(f"role {role_name}", lambda: ident.find_role(role_name))
            if role is None:
                role = retried(f"role {role_name}", lambda: ident.create_role(name=role_name))
            retried(
                f"{role_name} of {name}",
                lambda: ident.assign_project_role_to_user(proj, u, role),
            )

    service_project = project("service", "OpenStack services")
    user("glance", os.environ["GLANCE_PASSWORD"], service_project, ["admin"])
    user("images-admin", os.environ["PROD_PASSWORD"], project("images", "Production images"),
         ["admin", "member"])
    user("images-tester", os.environ["TEST_PASSWORD"], project("images-test", "Image tests"),
         ["member"])

    service = retried("image service", lambda: ident.find_service("glance"))
    if service is None:
        service = retried(
            "image service", lambda: ident.create_service(name="glance", type="image", is_enabled=True)
        )
    have = {e.interface: e for e in retried("endpoints", lambda: list(ident.endpoints(service_id=service.id)))}
    for interface in ("public", "internal", "admin"):
        e = have.get(interface)
        if e is None:
            retried(
                f"{interface} endpoint",
                lambda: ident.create_endpoint(
                    service_id=service.id, interface=interface, url=glance_url, region_id=REGION
                ),
            )
        elif e.url != glance_url:
            retried(f"{interface} endpoint", lambda: ident.update_endpoint(e, url=glance_url))
    print("[keystone-accounts] image service, projects images and images-test, users ready", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
