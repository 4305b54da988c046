#!/usr/bin/env bash
# bench/parse.sh: the connector's first-stage parse (sipmsg_new +
# sip_parse_inbound from connector/libstconnector.a: size limits, the raw
# header walk, osip_message_parse, the RFC 3261 checks including the loop
# check the daemon runs) against bare osip_message_parse on the same corpus
# of typical federation traffic (MESSAGE, SUBSCRIBE, NOTIFY with PIDF,
# PUBLISH, OPTIONS, 200s).  To profile one side: parse_bench -p ours|bare;
# on a busy machine -c times CPU instead of wall-clock seconds.
#
#   bench/parse.sh [-q] [corpus_file...]
set -u
. "$(dirname "$0")/lib.sh"

secs=1 rounds=5
while getopts "q" o; do
	case $o in
	q) secs=0.2 rounds=2 ;;
	*) sed -n '10p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
# libosip2 logs refused messages on stderr: keep them out of the figures
"$B_BIN/parse_bench" -s "$secs" -n "$rounds" "$@" >"$B/parse.out" 2>"$B/parse.err" ||
	{ tail -5 "$B/parse.err" >&2; exit 1; }
bad=$(b_kv "$B/parse.out" refused_ours)
[ "$bad" = 0 ] || b_log "the connector refused $bad messages of the corpus (they count in its rate)"
b_log "corpus: $(b_kv "$B/parse.out" corpus_messages) messages, $(b_kv "$B/parse.out" corpus_mean_bytes) bytes on average"
b_figure parse_bare_osip_rate "$(b_kv "$B/parse.out" bare_rate)" msg/s
b_figure parse_connector_rate "$(b_kv "$B/parse.out" ours_rate)" msg/s
b_figure parse_connector_added_cost "$(b_kv "$B/parse.out" added_cost_pct)" "% (target <= 20)"
