#!/usr/bin/env bash
# A Puppet server (Debian's puppetserver) on 127.0.0.1 for the managed use case. Test machines
# reach it only through qemu's guest forwarding (lab-instance.sh, LAB_GUEST_FORWARDS), under the
# name NAME. Configuration, CA, code and logs live under DIR. It signs every request (test machines
# are thrown away) and signs a name again for a fresh machine. Two environments: production (a
# small catalogue that a managed machine applies cleanly) and broken (a catalogue that does not
# compile: the managed suites must fail against it).
#
#   scripts/ci/services/puppetserver.sh start DIR PORT NAME
#   scripts/ci/services/puppetserver.sh stop DIR
set -euo pipefail
SERVICE=puppetserver
# shellcheck source=scripts/ci/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

service_args 2 "$@"
pidfile="$dir/puppetserver.pid"
packaged=/etc/puppet/puppetserver

answers() { [[ "$(curl -sk -m 3 "https://127.0.0.1:$1/status/v1/simple")" == running ]]; }

# ready PORT: it answers; a server that stopped fails the start at once, with its log's tail
# (wait_until silences the check's own output: fd 3 is the script's stderr).
ready() {
    answers "$1" && return 0
    alive_pidfile "$pidfile" && return 1
    {
        log "the Puppet server stopped while starting; last lines of $dir/log/puppetserver.log:"
        grep -v '^\s*at ' "$dir/log/puppetserver.log" | tail -n 15
    } >&3 2>&3
    exit 1
}

# The packaged configuration, pointed at DIR and 127.0.0.1:PORT.
configure() {
    local port=$1 name=$2
    mkdir -p "$dir"/{conf.d,services.d,puppet,code/environments,var,run,log}
    cp "$packaged"/conf.d/*.conf "$dir/conf.d/"
    # One JRuby: one agent at a time in the lab, and half the start time and memory.
    cat >"$dir/conf.d/puppetserver.conf" <<CONF
jruby-puppet: {
    ruby-load-path: [/usr/lib/puppetserver/ruby/vendor_ruby]
    gem-home: $dir/var/jruby-gems
    gem-path: [\${jruby-puppet.gem-home}, "/usr/lib/puppetserver/vendored-jruby-gems"]
    server-conf-dir: $dir/puppet
    server-code-dir: $dir/code
    server-var-dir: $dir/var
    server-run-dir: $dir/run
    server-log-dir: $dir/log
    max-active-instances: 1
}
http-client: {}
profiler: {}
product: { check-for-updates: false }
CONF
    printf 'webserver: {\n    client-auth: want\n    ssl-host: 127.0.0.1\n    ssl-port: %s\n}\n' "$port" >"$dir/conf.d/webserver.conf"
    printf 'global: {\n    logging-config: %s/logback.xml\n}\n' "$dir" >"$dir/conf.d/global.conf"
    sed "s|/var/log/puppetserver|$dir/log|g" "$packaged/logback.xml" >"$dir/logback.xml"
    # Every packaged service but the analytics one, which would call the vendor's update server.
    grep -v analytics "$packaged/services.d/bootstrap.cfg" >"$dir/services.d/bootstrap.cfg"
    cp "$packaged/services.d/ca.cfg" "$dir/services.d/"
    cat >"$dir/puppet/puppet.conf" <<CONF
[main]
ssldir = $dir/puppet/ssl
[server]
certname = $name
dns_alt_names = $name,localhost,127.0.0.1
cadir = $dir/puppet/ssl/ca
autosign = true
allow_duplicate_certs = true
environmentpath = $dir/code/environments
CONF
    mkdir -p "$dir/code/environments"/{production,broken}/manifests
    cat >"$dir/code/environments/production/manifests/site.pp" <<'PP'
# What the lab's managed machines get: one file, so the first run changes something and the
# next one has nothing left to do.
node default {
  file { '/etc/osimages-managed':
    ensure  => file,
    content => "managed by the lab's Puppet server, environment ${server_facts['environment']}\n",
    mode    => '0644',
  }
}
PP
    echo "fail('a deliberately broken catalogue: the broken environment of the lab Puppet server')" \
        >"$dir/code/environments/broken/manifests/site.pp"
}

start() {
    local port=$1 name=$2 java_args
    if alive_pidfile "$pidfile" && answers "$port"; then return 0; fi
    require_free_port "$port" "Puppet server ($dir)"
    configure "$port" "$name"
    echo 0 >"$dir/run/restart"
    java_args=${PUPPETSERVER_JAVA_ARGS:--Xms256m -Xmx768m}
    # shellcheck disable=SC2086 # JVM options, split on purpose
    setsid java $java_args -Djruby.logger.class=com.puppetlabs.jruby_utils.jruby.Slf4jLogger \
        -Djruby.lib=/usr/share/jruby/lib -jar /usr/share/puppetserver/puppetserver.jar \
        --config "$dir/conf.d" --bootstrap-config "$dir/services.d" --restart-file "$dir/run/restart" \
        >>"$dir/puppetserver.out" 2>&1 </dev/null &
    echo $! >"$pidfile"
    wait_until 240 "Puppet server on 127.0.0.1:$port" "$dir/log/puppetserver.log" ready "$port" 3>&2
}

case "$action" in
    start) [ $# -eq 4 ] || usage; start "$3" "$4" ;;
    stop) stop_pidfile "$pidfile" ;;
    *) usage ;;
esac
