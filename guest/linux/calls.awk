# The workload's calls in a `perf script --itrace=c -F ip,sym,addr` listing, in order, on one line.
# Each call branch reads "FROM_IP FROM_SYM[+OFF] => TO_IP TO_SYM[+OFF]": the called function is the
# last word. Only alpha, beta, zeta and delta count: the C library's calls are in the trace as well.
/=>/ {
	s = $NF
	sub(/\+0x[0-9a-f]+$/, "", s)
	if (s ~ /^(alpha|beta|zeta|delta)$/)
		printf "%s%s", n++ ? " " : "", s
}
END { printf "\n" }
