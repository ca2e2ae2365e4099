// Package java catalogs Java archives (jar, war, ear and Jenkins plugin
// archives): Maven coordinates from pom.properties, the manifest as a
// fallback, and archives nested inside archives, with zip-bomb limits.
package java
