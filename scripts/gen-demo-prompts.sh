#!/usr/bin/env bash
# Regenerates the embedded demo's prompts in internal/demo/prompts/ as
# 8 kHz mono 16-bit PCM WAV files, speaking each text with espeak-ng and
# converting with sox (peak normalised to -3 dBFS).
#
#   scripts/gen-demo-prompts.sh        # from anywhere in the repository
#
# Needs: apt-get install espeak-ng sox
# Re-running overwrites the files; commit the result. Output can differ
# slightly between espeak-ng versions, so only regenerate when a text changes.
set -euo pipefail

for tool in espeak-ng sox; do
	if ! command -v "$tool" >/dev/null; then
		echo "gen-demo-prompts: $tool is not installed; install it with: apt-get install espeak-ng sox" >&2
		exit 1
	fi
done

out="$(cd "$(dirname "$0")/.." && pwd)/internal/demo/prompts"
mkdir -p "$out"

# file name, then text. File names are what the demo config refers to.
prompts=(
	welcome.wav "Welcome to contactd. For support press 1, for sales press 2, for our opening hours press 3."
	hours.wav   "We are open Monday to Friday, nine a.m. to five thirty p.m."
	invalid.wav "Sorry, that is not a valid choice."
	noinput.wav "Sorry, we did not hear your choice."
	goodbye.wav "Thank you for calling. Goodbye."
	busy.wav    "All our agents are busy. Please call again later."
	closed.wav  "We are closed right now. Please call again during our opening hours."
)

for ((i = 0; i < ${#prompts[@]}; i += 2)); do
	file=${prompts[i]} text=${prompts[i + 1]}
	# Write to a temporary name first so an interrupted run leaves no
	# half-written prompt behind.
	espeak-ng -v en -s 150 --stdout "$text" |
		sox -t wav - -r 8000 -c 1 -b 16 -e signed-integer "$out/.$file.tmp.wav" gain -n -3
	mv "$out/.$file.tmp.wav" "$out/$file"
	echo "wrote $out/$file"
done
