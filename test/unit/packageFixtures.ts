// Query outputs of small Debian 12 and EL9 images, production and candidate (packages tests).

/** `dpkg-query -W -f='${Package} ${Version} ${Architecture}\n'` of a small Debian 12 image. */
export const DPKG_PRODUCTION = `base-files 12.4+deb12u7 amd64
bash 5.2.15-2+b7 amd64
libc6 2.36-9+deb12u8 amd64
linux-image-6.1.0-25-cloud-amd64 6.1.0-25 amd64
linux-image-cloud-amd64 6.1.0-25 amd64
openssh-server 1:9.2p1-2+deb12u3 amd64
tzdata 2024a-0+deb12u1 all
`;
export const DPKG_CANDIDATE = `tzdata 2024b-0+deb12u1 all
openssh-server 1:9.2p1-2+deb12u4 amd64
libc6 2.36-9+deb12u9 amd64
linux-image-cloud-amd64 6.1.0-26 amd64
linux-image-6.1.0-26-cloud-amd64 6.1.0-26 amd64
bash 5.2.15-2+b7 amd64
base-files 12.4+deb12u8 amd64
curl 7.88.1-10+deb12u12 amd64
`;

/** `rpm -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n'`: two kernels, multilib. */
export const RPM_PRODUCTION = `kernel-core 0:5.14.0-427.el9 x86_64
kernel 0:5.14.0-427.el9 x86_64
kernel-core 0:5.14.0-503.11.1.el9_5 x86_64
kernel 0:5.14.0-503.11.1.el9_5 x86_64
gpg-pubkey 0:8483c65d-5ccc5b19 (none)
glibc 0:2.34-100.el9_4.2 x86_64
glibc 0:2.34-100.el9_4.2 i686
openssl 1:3.0.7-27.el9 x86_64
cloud-init 0:23.4-7.el9 noarch
`;
export const RPM_CANDIDATE = `gpg-pubkey 0:8483c65d-5ccc5b19 (none)
kernel 0:5.14.0-503.11.1.el9_5 x86_64
kernel-core 0:5.14.0-503.11.1.el9_5 x86_64
kernel 0:5.14.0-503.14.1.el9_5 x86_64
kernel-core 0:5.14.0-503.14.1.el9_5 x86_64
glibc 0:2.34-100.el9_4.2 x86_64
openssl 1:3.0.7-28.el9 x86_64
cloud-init 0:23.4-7.el9~rc1 noarch
tuned 0:2.24.0-1.el9 noarch
`;
