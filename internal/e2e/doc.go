// Package e2e holds contactd's end-to-end tests: contactd runs in-process on
// 127.0.0.1 and real third-party SIP peers (SIPp from Debian's sip-tester)
// call it. With CI=true a missing peer fails the test instead of skipping it.
package e2e
