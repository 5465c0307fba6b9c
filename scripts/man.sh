#!/bin/sh
# man.sh PROGRAM SECTION [SEE-ALSO...]: a man page (roff) on stdout, made from PROGRAM --help,
# so the page and the help can never disagree. The help's layout (as both programs print it):
#   Usage: NAME ARGS            -> NAME and SYNOPSIS
#   lines up to a blank line    -> DESCRIPTION (its first sentence also in NAME)
#   "  -x, --flag ARG   text"   -> OPTIONS, one .TP each; deeper-indented lines continue the text
#   "Word: text" after those    -> a section WORD
# SEE-ALSO are "page(section)" names (PROGRAM's own is left out). SOURCE_DATE_EPOCH, when set,
# dates the page.
set -eu
prog=$1
section=$2
shift 2
help=$("$prog" --help)
name=$(basename "$prog")
date=""
[ -n "${SOURCE_DATE_EPOCH:-}" ] && date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
printf '%s\n' "$help" | awk -v name="$name" -v sec="$section" -v date="$date" -v also="$*" '
function esc(s) {
	gsub(/\\/, "\\e", s)
	sub(/^[.\047]/, "\\\\\\&&", s)
	return s
}
function flag(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	return s
}
function flush_opt() {
	if (opt != "") {
		print ".TP"
		print ".B " flag(opt)
		print esc(text)
	}
	opt = ""
	text = ""
}
BEGIN {
	state = "usage"
	printf ".TH %s %s \"%s\" \"xrelay\" \"xrelay\"\n", toupper(name), sec, date
}
state == "usage" {
	sub(/^Usage: */, "")
	usage = $0
	state = "desc"
	next
}
state == "desc" && $0 == "" {
	first = desc
	sub(/\. .*/, "", first)
	sub(/\.$/, "", first)
	print ".SH NAME"
	print name " \\- " esc(first)
	print ".SH SYNOPSIS"
	rest = usage
	sub(/^[^ ]* */, "", rest)
	print ".B " name
	if (rest != "")
		print esc(rest)
	print ".SH DESCRIPTION"
	print esc(desc)
	print ".SH OPTIONS"
	state = "opts"
	next
}
state == "desc" {
	desc = desc == "" ? $0 : desc " " $0
	next
}
state == "opts" && /^  +-/ {
	flush_opt()
	line = $0
	sub(/^ +/, "", line)
	if (match(line, /   */)) {
		opt = substr(line, 1, RSTART - 1)
		text = substr(line, RSTART + RLENGTH)
	} else {
		opt = line
	}
	next
}
state == "opts" && /^      / && opt != "" {
	line = $0
	sub(/^ +/, "", line)
	text = text " " line
	next
}
/^[A-Z][A-Za-z ]*: / {
	flush_opt()
	state = "tail"
	head = $0
	sub(/:.*/, "", head)
	body = $0
	sub(/^[^:]*: */, "", body)
	print ".SH " toupper(head)
	print esc(body)
	next
}
{
	flush_opt()
	print esc($0)
}
END {
	flush_opt()
	if (also != "") {
		n = split(also, a, " ")
		print ".SH SEE ALSO"
		k = 0
		for (i = 1; i <= n; i++)
			if (index(a[i], name "(") != 1)
				b[++k] = a[i]
		for (i = 1; i <= k; i++) {
			p = b[i]
			s = p
			sub(/\(.*/, "", p)
			sub(/^[^(]*/, "", s)
			printf ".BR %s %s%s\n", p, s, i < k ? "," : ""
		}
	}
}'
