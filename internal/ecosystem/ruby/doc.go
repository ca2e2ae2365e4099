// Package ruby catalogs Ruby gems from Gemfile.lock and from the
// specifications of installed gems. Gemspecs are Ruby code; they are read
// as text, never evaluated.
package ruby
