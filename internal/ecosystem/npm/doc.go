// Package npm catalogs JavaScript packages: npm, yarn (classic and berry)
// and pnpm lock files, and packages installed in node_modules.
package npm
