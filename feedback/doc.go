// Package feedback will run the post-call keypad survey and aggregate its
// answers. No survey runs yet.
package feedback
