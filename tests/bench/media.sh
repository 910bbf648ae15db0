#!/bin/sh
# media.sh: the image processing benchmark (tests/bench/bench_media.c, lib/social/imgproc.c): a
# 12-megapixel JPEG processed into every size ([media] defaults: 640 and 1600 px, JPEG and WebP,
# quality 80), and a decompression bomb refused. Prints a table of medians over the runs against
# the targets of docs/media.md; asserts nothing; not part of make check. Run from the build
# directory after make:
#   tests/bench/media.sh [runs]
# CPU time is the figure to read on a shared machine: wall time includes waiting for a core.
set -eu
bench=${BENCH_MEDIA:-tests/bench/bench_media}
runs=${1:-7}
[ -x "$bench" ] || { echo "media.sh: $bench not built (run make)" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/starling-bench-media.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

"$bench" make "$dir/photo.jpg"
line=$("$bench" run "$dir/photo.jpg" "$runs" "$dir")
rm -f "$dir"/bench.*
low=$("$bench" run "$dir/photo.jpg" "$runs" "$dir" 50)
anim=$("$bench" anim "$dir" "$runs")
# "key value" pairs: one awk reads them by name.
printf '%s\n%s\n%s\n' "$line" "$low" "$anim" | awk -v runs="$runs" 'NR == 3 {
	for (i = 1; i < NF; i += 2) a[$i] = $(i + 1)
	printf "animated GIF (%d frames of %d x %d, %d bytes)\n", a["anim_frames"], a["anim_w"], a["anim_h"], a["anim_gif_bytes"]
	printf "%-34s %12.3f s   (animated WebP and two first-frame JPEGs)\n", "CPU time, animated GIF", a["anim_cpu_s"]
	printf "%-34s %11.1f MB\n", "peak RSS, animated GIF", a["anim_peak_rss_mb"]
	printf "%-34s %14d   %.1f%% of the GIF\n", "animated WebP, bytes", a["anim_webp_bytes"], 100 * a["anim_webp_bytes"] / a["anim_gif_bytes"]
	printf "%-34s %14d\n", "poster (display JPEG), bytes", a["anim_poster_jpg"]
	next
}
NR == 2 {
	for (i = 1; i < NF; i += 2) w[$i] = $(i + 1)
	printf "%-34s %12.3f s   (media_quality 50: JPEG only)\n", "CPU time, switch on", w["cpu_s"]
	printf "%-34s %14d   %.1f%% of the original\n", "display 1600 px JPEG, switch on", w["display_jpg"], 100 * w["display_jpg"] / w["original_bytes"]
	next
}
{
	for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)
	o = v["original_bytes"]
	printf "12-megapixel JPEG (4000 x 3000, %d bytes), %d runs, medians\n", o, runs
	printf "%-34s %14s   %s\n", "measure", "value", "target"
	printf "%-34s %12.3f s   < 0.5 s of one core\n", "CPU time, all sizes", v["cpu_s"]
	printf "%-34s %12.3f s\n", "wall time, all sizes", v["wall_s"]
	printf "%-34s %11.1f MB   < 150 MB\n", "peak RSS of the process", v["peak_rss_mb"]
	printf "%-34s %14d   %.1f%% of the original (target <= 33%%)\n", "display 1600 px JPEG, bytes", v["display_jpg"], 100 * v["display_jpg"] / o
	printf "%-34s %14d   %.1f%%\n", "display 1600 px WebP, bytes", v["display_webp"], 100 * v["display_webp"] / o
	printf "%-34s %14d   %.1f%%\n", "thumbnail 640 px JPEG, bytes", v["thumb_jpg"], 100 * v["thumb_jpg"] / o
	printf "%-34s %14d   %.1f%%\n", "thumbnail 640 px WebP, bytes", v["thumb_webp"], 100 * v["thumb_webp"] / o
	printf "%-34s %11.2f ms   < 100 ms (a %d-byte PNG of 30000 x 30000)\n", "bomb refused in", v["bomb_ms"], v["bomb_bytes"]
}'
