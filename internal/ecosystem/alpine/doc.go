// Package alpine is Alpine Linux's vertical slice: the apk cataloger
// (/lib/apk/db/installed, also used by Wolfi and Chainguard images) and
// the Alpine secdb feed.
package alpine
