// Package php catalogs Composer packages from composer.lock and from
// vendor/composer/installed.json.
package php
