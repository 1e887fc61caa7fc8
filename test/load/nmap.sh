# shellcheck shell=sh
# test/load/nmap.sh: nmap (Debian's 7.93) against a hosted appliance and how its report is read,
# shared by the load tier (test/load/run.sh, the httpd appliance) and the DNS appliance's tests
# (test/net/dns.sh). Sourced (POSIX sh); the caller defines:
#   nmap_nsx COMMAND...   runs a command where the appliance is reachable (inside its namespace)
#   NMAP_OUT              a directory for nmap's reports
# Every verdict asserted is one the RFCs dictate, never a timing: each run names the ports it
# probes and the report is read line by line (--reason gives why nmap decided).

# nmap_run NAME NMAP_ARGUMENT...: nmap -n --reason with the arguments, its report in
# $NMAP_OUT/NAME.txt; prints the port lines and the scripts' output. Fails when nmap does.
nmap_run() {
    nmap_name=$1; shift
    if ! nmap_nsx nmap -n --reason "$@" > "$NMAP_OUT/$nmap_name.txt" 2>&1; then
        cat "$NMAP_OUT/$nmap_name.txt"; return 1
    fi
    grep -E '^[0-9]+/(tcp|udp) |^Not shown|^\|' "$NMAP_OUT/$nmap_name.txt"
    return 0
}

# nmap_port NAME PORT/PROTO STATE [REASON]: nmap's report NAME says STATE for the port (and
# REASON: syn-ack, reset, no-response, port-unreach, udp-response).
nmap_port() {
    awk -v p="$2" -v s="$3" -v r="${4:-}" '$1 == p && $2 == s && (r == "" || $4 == r) { found = 1 }
        END { exit !found }' "$NMAP_OUT/$1.txt" && return 0
    echo "$1: $2 is not '$3${4:+ ($4)}':"
    grep -E "^$2 " "$NMAP_OUT/$1.txt" || echo "(no line for $2)"
    return 1
}

# nmap_odd_flags TARGET OPEN CLOSED PREFIX: the scans that set odd flags, each against a listening
# TCP port and a closed one, and the verdicts RFC 9293 dictates:
#   -sF (FIN), -sN (no flag), -sX (FIN PSH URG): a closed port answers every segment but a reset
#       with a reset (3.10.7.1: closed); a listening port drops a segment without SYN or ACK
#       (3.10.7.2, "fourth, other text or control": open|filtered, no response)
#   -sA (ACK), -sW (ACK, reading the reset's window), -sM (FIN ACK): an ACK to a listening port
#       is answered <SEQ=SEG.ACK><CTL=RST> (3.10.7.2, "second, check for an ACK") as on a closed
#       one: unfiltered for -sA, closed (resets with window 0) for -sW and -sM
# Reports go to PREFIX-<scan>.txt.
nmap_odd_flags() {
    nmap_ok=0
    for scan in sF sN sX sA sW sM; do
        nmap_run "$4-$scan" "-$scan" -p "$2,$3" -T4 --max-retries 1 "$1" || { nmap_ok=1; continue; }
        case $scan in
            sF|sN|sX) nmap_port "$4-$scan" "$2/tcp" 'open|filtered' no-response &&
                      nmap_port "$4-$scan" "$3/tcp" closed reset ;;
            sA) nmap_port "$4-$scan" "$2/tcp" unfiltered reset &&
                nmap_port "$4-$scan" "$3/tcp" unfiltered reset ;;
            sW|sM) nmap_port "$4-$scan" "$2/tcp" closed reset &&
                   nmap_port "$4-$scan" "$3/tcp" closed reset ;;
        esac || nmap_ok=1
    done
    return $nmap_ok
}

# nmap_fingerprint NAME: the TCP/IP fingerprint of an -O run (-d prints it whether or not an OS
# matched), on one line: "SCAN(...)SEQ(...)...T1(...)...IE(...)".
nmap_fingerprint() {
    { sed -n 's/^OS://p' "$NMAP_OUT/$1.txt"
      grep -E '^(SCAN|SEQ|OPS|WIN|ECN|T[1-7]|U1|IE)\(' "$NMAP_OUT/$1.txt"; } | tr -d '\n'
}

# nmap_os_verdicts NAME REGEXES: each of nmap's fingerprint tests (T1 to T7 the TCP probes, ECN,
# U1 the closed UDP port, IE the ICMP echoes) in the -O report NAME matches its extended regular
# expression, one a line in REGEXES.
nmap_os_verdicts() {
    nmap_fp=$(nmap_fingerprint "$1")
    [ -n "$nmap_fp" ] || { echo "no fingerprint in $1's report"; return 1; }
    echo "$2" | {
        nmap_ok=0
        while IFS= read -r want; do
            echo "$nmap_fp" | grep -qE "$want" || { echo "fingerprint lacks /$want/"; nmap_ok=1; }
        done
        [ $nmap_ok -eq 0 ] || echo "fingerprint: $nmap_fp"
        exit $nmap_ok
    }
}
# The TCP tests every appliance passes, whatever its features (nmap's notation: S= the reset's
# sequence number, A= its acknowledgment, Z zero, A the probe's ACK, S+ the probe's sequence + 1):
#   T1  SYN to the listening port: SYN-ACK acknowledging SEG.SEQ + 1
#   T2  no flags to the listening port: dropped (RFC 9293 3.10.7.2, fourth)
#   T4  ACK to the listening port: <SEQ=SEG.ACK><CTL=RST> (3.10.7.2, second)
#   T5  SYN to the closed port: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (3.10.7.1; the SYN
#       counts in SEG.LEN)
#   T6  ACK to the closed port: <SEQ=SEG.ACK><CTL=RST> (3.10.7.1)
#   T7  FIN PSH URG to the closed port: RST,ACK acknowledging SEG.SEQ + 1 (the FIN counts)
#   ECN SYN with ECE and CWR: a SYN-ACK without ECE (CC=N): no ECN (RFC 3168 6.1.1)
#   IE  two echo requests (one with code 9, one with TOS 4): answered, code 0 (RFC 792)
# T3 (SYN FIN PSH URG to the listening port) is left out: the stack drops a SYN with FIN, a
# choice the RFC leaves open (docs/NETWORK.md).
# shellcheck disable=SC2034  # read by the caller
NMAP_OS_TCP_VERDICTS='T1\(R=Y%[^)]*A=S\+%F=AS%
T2\(R=N\)
T4\(R=Y%[^)]*S=A%A=Z%F=R%
T5\(R=Y%[^)]*S=Z%A=S\+%F=AR%
T6\(R=Y%[^)]*S=A%A=Z%F=R%
T7\(R=Y%[^)]*S=Z%A=S\+%F=AR%
ECN\(R=Y%[^)]*CC=N%
IE\(R=Y%[^)]*CD=Z\)'
