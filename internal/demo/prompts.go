package demo

import (
	"embed"
	"io/fs"
)

// prompts holds the demo's voice prompts, 8 kHz mono 16-bit PCM WAV files
// made by scripts/gen-demo-prompts.sh (rerun it after changing a text).
//
//go:embed prompts/*.wav
var prompts embed.FS

// PromptsFS returns the demo prompts with the file names at its root, the
// same layout as a config directory, so the demo config's prompt
// references resolve against it exactly as a user's config would.
// FS is the demo's directory as the config sees it: contactd.yaml's
// prompts_dir (prompts) resolves inside it, as it does on disk.
func FS() fs.FS { return prompts }

func PromptsFS() fs.FS {
	sub, err := fs.Sub(prompts, "prompts")
	if err != nil {
		// Only possible if the embed pattern above changed: a build bug.
		panic("demo: " + err.Error())
	}
	return sub
}
