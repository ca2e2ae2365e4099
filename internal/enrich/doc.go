// Package enrich holds the feeds that describe vulnerabilities without
// placing them in packages: NVD (CVSS vectors and scores, CWEs,
// descriptions), CISA KEV (known exploited) and FIRST EPSS (exploit
// prediction; optional, off by default). Their records carry no affected
// entries; the database joins them by id onto the vulnerabilities that
// vendor and ecosystem feeds place.
package enrich
