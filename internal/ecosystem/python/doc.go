// Package python catalogs Python packages: installed distributions
// (*.dist-info and *.egg-info metadata) and the lock files of poetry,
// pipenv and uv, plus pinned requirements files.
package python
