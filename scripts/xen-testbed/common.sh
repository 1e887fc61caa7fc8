# scripts/xen-testbed/common.sh: what the test bed's host-side scripts share: where the cache
# lives, how to read the Debian mirror from this machine's apt sources, and messages.
# Sourced, never run.

XEN_TESTBED_CACHE="${XENOLITH_CACHE:-$HOME/.cache/xenolith}/xen-testbed"
XEN_TESTBED_DIR=$(cd "$(dirname "$0")" && pwd)

tb_say() { printf 'xen-testbed: %s\n' "$*" >&2; }
tb_die() { printf 'xen-testbed: error: %s\n' "$*" >&2; exit 2; }

# Prints "URI SUITE COMPONENTS..." for every enabled Debian bookworm source of this machine's apt
# (one-line .list files and deb822 .sources files), main archive first. Only http(s) and file
# URIs of binary ("deb") entries count.
tb_apt_sources() {
    {
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -r "$f" ] || continue
            sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 4 {
                printf "%s %s", $2, $3; for (i = 4; i <= NF; i++) printf " %s", $i; printf "\n" }'
        done
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -r "$f" ] || continue
            awk '
                function flush() {
                    if (types ~ /(^| )deb( |$)/ && enabled != "no")
                        for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++)
                            printf "%s %s %s\n", uris[u], suites[s], comps
                    types = ""; enabled = ""; comps = ""; nu = 0; ns = 0
                }
                /^[ \t]*#/ { next }
                /^[ \t]*$/ { flush(); next }
                {
                    key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
                    if (key == "types") types = $0
                    else if (key == "enabled") enabled = tolower($0)
                    else if (key == "uris") nu = split($0, uris, " ")
                    else if (key == "suites") ns = split($0, suites, " ")
                    else if (key == "components") comps = $0
                }
                END { flush() }' "$f"
        done
    } | awk '$2 ~ /^bookworm(-updates|-security|\/updates)?$/ && $1 ~ /^(https?|file):/' |
        sort -u | awk '{ print ($2 == "bookworm" ? 0 : 1), $0 }' | sort -k1,1n -s | cut -d' ' -f2-
}

# The mirror debootstrap uses: the URI of the plain "bookworm" suite.
tb_debian_mirror() {
    tb_apt_sources | awk '$2 == "bookworm" { print $1; exit }'
}

# "package=version" for each package, the candidate in this machine's apt lists (no network);
# "package=(none)" for one apt does not know. One apt-cache run for all: each costs ~0.5 s.
tb_candidates() {
    apt-cache policy "$@" 2>/dev/null | awk '
        /^[^ ].*:$/ { pkg = substr($0, 1, length($0) - 1) }
        $1 == "Candidate:" && pkg != "" { version[pkg] = $2 }
        END { n = split(want, names, " ")
              for (i = 1; i <= n; i++)
                  printf "%s=%s\n", names[i], (names[i] in version) ? version[names[i]] : "(none)" }
    ' want="$*"
}
