// Package rpm catalogs packages installed by rpm (RHEL and UBI, Rocky,
// AlmaLinux, CentOS, Fedora, Amazon Linux, Oracle Linux, SUSE) from the
// rpm database in each of its formats: SQLite (rpm 4.16+), Berkeley DB
// hash (older releases) and ndb (SUSE). Everything is read in pure Go from
// the claimed file's content, with every offset checked against the file,
// so a damaged or hostile database gives an error naming the file, not a
// crash or a runaway allocation.
package rpm
