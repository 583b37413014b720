# shellcheck shell=sh
# Helpers for the managed-image tests (configuration management agent). Sourced by every test;
# it is not executable, so runtests.sh does not run it. Exit codes: 0 pass, 77 skip (last line
# printed is the reason), 75 infrastructure failure (retried by the runner), anything else an
# image failure.
#
#   OSIP_AGENT_CMD   the agent's check command, run with sh -c
#                    (default: puppet agent --test --noop --detailed-exitcodes)

# say, fail, infra, skip, have: shared by every suite.
# shellcheck source-path=SCRIPTDIR source=../common.sh
. "$(dirname -- "$0")/../common.sh"

# The Puppet packages install their commands outside the default PATH.
PATH=$PATH:/opt/puppetlabs/bin
export PATH

DEFAULT_AGENT_CMD="puppet agent --test --noop --detailed-exitcodes"
agent_cmd=${OSIP_AGENT_CMD:-$DEFAULT_AGENT_CMD}

# agent_program: the first word of the agent command.
agent_program() {
    # shellcheck disable=SC2086 # split the command into words on purpose
    set -- $agent_cmd
    printf '%s' "$1"
}
