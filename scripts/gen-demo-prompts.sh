#!/usr/bin/env bash
# Regenerates the embedded demo's prompts in internal/demo/prompts/ as
# 8 kHz mono G.711 mu-law WAV files (the first ones are 16-bit PCM from
# before: regenerate only what changed), speaking each text with espeak-ng and
# converting with sox (peak normalised to -3 dBFS).
#
#   scripts/gen-demo-prompts.sh              # every prompt, from anywhere in the repository
#   scripts/gen-demo-prompts.sh a.wav b.wav  # only these (music on hold is moh.wav)
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
	queue-hold.wav       "Please hold. The next available agent will take your call."
	queue-position.wav   "You are caller number"
	queue-in-line.wav    "in line."
	queue-wait.wav       "Your estimated wait is about"
	queue-minutes.wav    "minutes."
	queue-minute.wav     "minute."
	queue-wait-short.wav "Your estimated wait is less than one minute."
	queue-callback-offer.wav   "To be called back without losing your place in line, press star."
	queue-callback-confirm.wav "Thank you. We will call you back when it is your turn. Goodbye."
	queue-callback-intro.wav   "Hello, this is contactd calling you back as you asked. Please hold for an agent."
	survey-intro.wav   "Please stay on the line for a short survey about your call."
	survey-rating.wav  "How satisfied were you with our agent? Press 1 for very unsatisfied, up to 5 for very satisfied."
	survey-nps.wav     "How likely are you to recommend us to a friend, from 0 to 10? For 10, press 1, 0, then hash."
	survey-invalid.wav "Sorry, that is not a valid score."
	survey-comment.wav "Now tell us in a few words how we did, then press hash."
	survey-thanks.wav  "Thank you for your feedback. Goodbye."
)
# Only the files named on the command line, when there are any.
wanted() {
	[ ${#only[@]} -eq 0 ] && return 0
	local f
	for f in "${only[@]}"; do [ "$f" = "$1" ] && return 0; done
	return 1
}
only=("$@")
# Numbers for position and wait announcements: 1-20 and the tens to 90
# make every number up to 99.
words=(one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty)
for i in "${!words[@]}"; do
	prompts+=("num-$((i + 1)).wav" "${words[i]}")
done
tens=(thirty forty fifty sixty seventy eighty ninety)
for i in "${!tens[@]}"; do
	prompts+=("num-$(((i + 3) * 10)).wav" "${tens[i]}")
done

for ((i = 0; i < ${#prompts[@]}; i += 2)); do
	file=${prompts[i]} text=${prompts[i + 1]}
	wanted "$file" || continue
	# Write to a temporary name first so an interrupted run leaves no
	# half-written prompt behind.
	espeak-ng -v en -s 150 --stdout "$text" |
		sox -t wav - -r 8000 -c 1 -e u-law "$out/.$file.tmp.wav" gain -n -3
	mv "$out/.$file.tmp.wav" "$out/$file"
	echo "wrote $out/$file"
done

wanted moh.wav || exit 0

# Music on hold: a slow plucked arpeggio (C, A minor, F, G), made with sox
# so it is ours to ship. G.711 mu-law halves its size; it loops while a
# caller waits.
notes=(C4 E4 G4 C5 A3 C4 E4 A4 F3 A3 C4 F4 G3 B3 D4 G4)
parts=()
for n in "${notes[@]}"; do
	f="$out/.moh-$n-${#parts[@]}.wav"
	sox -n -r 8000 -c 1 -b 16 "$f" synth 0.5 pluck "$n" fade 0 0.5 0.3
	parts+=("$f")
done
sox "${parts[@]}" "$out/.moh.tmp.wav"
sox "$out/.moh.tmp.wav" "$out/.moh2.tmp.wav" repeat 1 gain -n -9 reverb 30
sox "$out/.moh2.tmp.wav" -r 8000 -c 1 -e u-law "$out/.moh3.tmp.wav"
rm -f "${parts[@]}" "$out/.moh.tmp.wav" "$out/.moh2.tmp.wav"
mv "$out/.moh3.tmp.wav" "$out/moh.wav"
echo "wrote $out/moh.wav"
