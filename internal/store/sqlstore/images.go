package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/store"
)

// PutImage stores an inventory, its report and history; tags add to the
// tags already recorded for the digest.
func (s *Store) PutImage(ctx context.Context, in *store.Ingest) error {
	inv := in.Inventory
	digest := in.Update.Digest
	if digest == "" || inv == nil || in.Update.Report == nil {
		return fmt.Errorf("put image: digest, inventory and report are required")
	}
	invBlob, err := packInventory(inv)
	if err != nil {
		return fmt.Errorf("put image %s: encode inventory: %w", digest, err)
	}
	distro := ""
	if !inv.Distro.Unknown() {
		distro = inv.Distro.ID + " " + inv.Distro.VersionID
	}
	now := s.now().UnixNano()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		tags := append([]string(nil), in.Context.Tags...)
		repo := in.Context.Repo
		var oldTags, oldRepo string
		err := tx.QueryRowContext(ctx, s.q(`SELECT tags, repo FROM images WHERE digest = ?`), digest).Scan(&oldTags, &oldRepo)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("put image %s: %w", digest, err)
		default:
			var old []string
			_ = json.Unmarshal([]byte(oldTags), &old)
			tags = append(tags, old...)
			if repo == "" {
				repo = oldRepo
			}
		}
		slices.Sort(tags)
		tags = slices.Compact(tags)
		if tags == nil {
			tags = []string{}
		}
		tagJSON, _ := json.Marshal(tags)
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO images (digest, repo, tags, distro, first_seen, last_scanned, ci_job_url, git_commit, inventory, report)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (digest) DO UPDATE SET repo = excluded.repo, tags = excluded.tags, distro = excluded.distro,
			ci_job_url = excluded.ci_job_url, git_commit = excluded.git_commit, inventory = excluded.inventory`),
			digest, repo, string(tagJSON), distro, now, now, in.Context.CIJobURL, in.Context.GitCommit, invBlob, []byte{}); err != nil {
			return fmt.Errorf("put image %s: %w", digest, err)
		}
		for _, t := range []string{"packages", "package_keys"} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE digest = ?`), digest); err != nil {
				return fmt.Errorf("put image %s: %w", digest, err)
			}
		}
		seen := map[[3]string]bool{}
		var rows [][]any
		for i := range inv.Packages {
			p := &inv.Packages[i]
			k := [3]string{string(p.Ecosystem), p.Name, p.Version}
			if seen[k] {
				continue
			}
			seen[k] = true
			rows = append(rows, []any{digest, string(p.Ecosystem), p.Name, p.Version, strings.ToLower(model.NormalizeName(p.Ecosystem, p.Name))})
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO packages (digest, ecosystem, name, version, norm)`, 5, rows); err != nil {
			return err
		}
		rows = rows[:0]
		for _, k := range store.PackageKeys(inv) {
			rows = append(rows, []any{k.Namespace, k.Name, digest})
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO package_keys (namespace, name, digest)`, 3, rows); err != nil {
			return err
		}
		return s.writeUpdate(ctx, tx, &in.Update)
	})
}

// PutReports replaces the reports of stored images.
func (s *Store) PutReports(ctx context.Context, updates []store.ImageUpdate) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range updates {
			if err := s.writeUpdate(ctx, tx, &updates[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeUpdate stores a report (a nil report only marks the image as
// rescanned), its finding index, history and notifications.
func (s *Store) writeUpdate(ctx context.Context, tx *sql.Tx, u *store.ImageUpdate) error {
	now := s.now().UnixNano()
	if u.Report == nil {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE images SET last_scanned = ? WHERE digest = ?`), now, u.Digest)
		if err != nil {
			return fmt.Errorf("update image %s: %w", u.Digest, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("update image %s: %w", u.Digest, store.ErrNotFound)
		}
	} else {
		r := *u.Report
		r.Inventory = model.Inventory{} // stored once, in the inventory column
		blob, err := pack(&r)
		if err != nil {
			return fmt.Errorf("update image %s: encode report: %w", u.Digest, err)
		}
		c := store.CountFindings(u.Report)
		var pass any
		if u.Report.Decision != nil {
			pass = 0
			if u.Report.Decision.Pass {
				pass = 1
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE images SET last_scanned = ?, crit = ?, high = ?, med = ?, low = ?, neg = ?, unk = ?, pass = ?, report = ?, fingerprint = ? WHERE digest = ?`),
			now, c.Critical, c.High, c.Medium, c.Low, c.Negligible, c.Unknown, pass, blob, store.ReportFingerprint(u.Report), u.Digest)
		if err != nil {
			return fmt.Errorf("update image %s: %w", u.Digest, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("update image %s: %w", u.Digest, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM findings WHERE digest = ?`), u.Digest); err != nil {
			return fmt.Errorf("update image %s: %w", u.Digest, err)
		}
		var rows [][]any
		for i := range u.Report.Findings {
			f := &u.Report.Findings[i]
			if f.Suppressed != nil || f.State != model.MatchAffected {
				continue
			}
			rows = append(rows, []any{u.Digest, f.VulnID, f.Package.Name, f.Package.Version, strings.Join(f.FixedVersions, ","), string(f.Severity)})
			// Snapshot reads these rows back as the counted findings.
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO findings (digest, vuln_id, package, version, fixed, severity)`, 6, rows); err != nil {
			return err
		}
	}
	if len(u.Events) > 0 {
		rows := make([][]any, len(u.Events))
		for i, e := range u.Events {
			rows[i] = []any{u.Digest, string(e.Kind), e.VulnID, e.Package, e.Version, string(e.Severity), nanos(e.At)}
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO finding_events (digest, kind, vuln_id, package, version, severity, at)`, 7, rows); err != nil {
			return err
		}
	}
	return s.enqueueNotifications(ctx, tx, u.Notifications)
}

// Images lists every stored image, newest scan first.
func (s *Store) Images(ctx context.Context) ([]store.ImageSummary, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT digest, repo, tags, distro, last_scanned, crit, high, med, low, neg, unk, pass, ci_job_url, git_commit
		FROM images ORDER BY last_scanned DESC, digest`)
	if err != nil {
		return nil, fmt.Errorf("%s: images: %w", s.d.Name, err)
	}
	defer rows.Close()
	out := []store.ImageSummary{}
	for rows.Next() {
		var im store.ImageSummary
		var tags string
		var last int64
		var pass sql.NullInt64
		c := &im.Counts
		if err := rows.Scan(&im.Digest, &im.Repo, &tags, &im.Distro, &last, &c.Critical, &c.High, &c.Medium, &c.Low, &c.Negligible, &c.Unknown, &pass, &im.CIJobURL, &im.GitCommit); err != nil {
			return nil, fmt.Errorf("%s: images: %w", s.d.Name, err)
		}
		_ = json.Unmarshal([]byte(tags), &im.Tags)
		im.LastScanned = fromNanos(last)
		if pass.Valid {
			p := pass.Int64 == 1
			im.Pass = &p
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// Report returns an image's latest report.
func (s *Store) Report(ctx context.Context, digest string) (*model.Report, error) {
	var invBlob, repBlob []byte
	err := s.r.QueryRowContext(ctx, s.q(`SELECT inventory, report FROM images WHERE digest = ?`), digest).Scan(&invBlob, &repBlob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("image %s: %w", digest, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: report %s: %w", s.d.Name, digest, err)
	}
	var r model.Report
	if err := unpack(repBlob, &r); err != nil {
		return nil, fmt.Errorf("report %s: decode: %w", digest, err)
	}
	if err := unpackInventory(invBlob, &r.Inventory); err != nil {
		return nil, fmt.Errorf("report %s: decode inventory: %w", digest, err)
	}
	return &r, nil
}

// Inventory returns an image's stored inventory.
func (s *Store) Inventory(ctx context.Context, digest string) (*model.Inventory, error) {
	var blob []byte
	err := s.r.QueryRowContext(ctx, s.q(`SELECT inventory FROM images WHERE digest = ?`), digest).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("image %s: %w", digest, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: inventory %s: %w", s.d.Name, digest, err)
	}
	var inv model.Inventory
	if err := unpackInventory(blob, &inv); err != nil {
		return nil, fmt.Errorf("inventory %s: decode: %w", digest, err)
	}
	return &inv, nil
}

// Packages finds images holding a package, by exact or normalized name.
func (s *Store) Packages(ctx context.Context, name, version string) ([]store.PackageHit, error) {
	// norm is the lowercased normalized name, so one indexed lookup
	// finds "Jinja2", "jinja2" and "jinja_2"-style spellings.
	query := `SELECT p.digest, i.repo, p.ecosystem, p.name, p.version FROM packages p JOIN images i ON i.digest = p.digest
		WHERE p.norm IN (?, ?)`
	args := []any{strings.ToLower(name), strings.ToLower(model.NormalizeName(model.EcosystemPyPI, name))}
	if version != "" {
		query += ` AND p.version = ?`
		args = append(args, version)
	}
	rows, err := s.r.QueryContext(ctx, s.q(query+` ORDER BY p.name, p.version, p.digest`), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: packages: %w", s.d.Name, err)
	}
	defer rows.Close()
	out := []store.PackageHit{}
	for rows.Next() {
		var h store.PackageHit
		var eco string
		if err := rows.Scan(&h.Digest, &h.Repo, &eco, &h.Name, &h.Version); err != nil {
			return nil, fmt.Errorf("%s: packages: %w", s.d.Name, err)
		}
		h.Ecosystem = model.Ecosystem(eco)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Affected lists images with an unsuppressed finding for any of ids.
func (s *Store) Affected(ctx context.Context, ids []string) ([]store.AffectedImage, error) {
	out := []store.AffectedImage{}
	if len(ids) == 0 {
		return out, nil
	}
	hint := ""
	if s.d.IndexHints {
		hint = " INDEXED BY images_labels"
	}
	// One text column per row, fields joined by the unit separator (no
	// field can hold it: JSON escapes control characters, and names,
	// versions and ids have none): the driver then allocates one string
	// per row instead of eight, and the fields are slices of it.
	sep := "'" + string(rune(fieldSep)) + "'"
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT f.digest || `+sep+` || i.repo || `+sep+` || i.tags || `+sep+` || f.vuln_id
		|| `+sep+` || f.package || `+sep+` || f.version || `+sep+` || f.fixed || `+sep+` || f.severity
		FROM findings f JOIN images i`+hint+` ON i.digest = f.digest WHERE f.vuln_id IN `+in(len(ids))+` ORDER BY f.digest, f.package, f.version`), anys(ids)...)
	if err != nil {
		return nil, fmt.Errorf("%s: affected: %w", s.d.Name, err)
	}
	defer rows.Close()
	var line string
	var fields [8]string
	for rows.Next() {
		if err := rows.Scan(&line); err != nil {
			return nil, fmt.Errorf("%s: affected: %w", s.d.Name, err)
		}
		if !splitFields(line, fields[:]) {
			return nil, fmt.Errorf("%s: affected: a findings row does not have 8 fields", s.d.Name)
		}
		a := store.AffectedImage{Digest: fields[0], Repo: fields[1], Tags: decodeTags(fields[2]),
			VulnID: fields[3], Package: fields[4], Version: fields[5], Severity: model.Rating(fields[7])}
		if fields[6] != "" {
			a.FixedVersions = strings.Split(fields[6], ",")
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// fieldSep joins the columns of a row read as one string.
const fieldSep = 0x1f

// splitFields splits line at fieldSep into exactly len(out) fields.
func splitFields(line string, out []string) bool {
	for i := range out {
		if i == len(out)-1 {
			if strings.IndexByte(line, fieldSep) >= 0 {
				return false
			}
			out[i] = line
			return true
		}
		j := strings.IndexByte(line, fieldSep)
		if j < 0 {
			return false
		}
		out[i], line = line[:j], line[j+1:]
	}
	return true
}

// decodeTags reads the JSON array of tags an images row holds, without
// the reflection of encoding/json for the common case of plain strings.
func decodeTags(b string) []string {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' || strings.IndexByte(b, '\\') >= 0 {
		var out []string
		_ = json.Unmarshal([]byte(b), &out)
		return out
	}
	body := b[1 : len(b)-1]
	if len(body) == 0 {
		return nil
	}
	out := make([]string, 0, strings.Count(body, ",")+1)
	for len(body) > 0 {
		if body[0] != '"' {
			break
		}
		end := strings.IndexByte(body[1:], '"')
		if end < 0 {
			break
		}
		out = append(out, body[1:1+end])
		body = body[2+end:]
		if len(body) > 0 && body[0] == ',' {
			body = body[1:]
		}
	}
	return out
}

// DigestsHolding returns the digests of images holding any key.
func (s *Store) DigestsHolding(ctx context.Context, keys []store.PackageKey) ([]string, error) {
	seen := map[string]bool{}
	const per = 200
	for start := 0; start < len(keys); start += per {
		end := min(start+per, len(keys))
		conds := make([]string, 0, end-start)
		args := make([]any, 0, 2*(end-start))
		for _, k := range keys[start:end] {
			conds = append(conds, `(namespace = ? AND name = ?)`)
			args = append(args, k.Namespace, k.Name)
		}
		ds, err := s.strings(ctx, `SELECT DISTINCT digest FROM package_keys WHERE `+strings.Join(conds, " OR "), args...)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			seen[d] = true
		}
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}

// Digests returns every stored digest.
func (s *Store) Digests(ctx context.Context) ([]string, error) {
	return s.strings(ctx, `SELECT digest FROM images ORDER BY digest`)
}

func (s *Store) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.d.Name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", s.d.Name, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// History returns an image's finding events, oldest first.
func (s *Store) History(ctx context.Context, digest string) ([]store.FindingEvent, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT kind, vuln_id, package, version, severity, at FROM finding_events WHERE digest = ? ORDER BY id`), digest)
	if err != nil {
		return nil, fmt.Errorf("%s: history: %w", s.d.Name, err)
	}
	defer rows.Close()
	out := []store.FindingEvent{}
	for rows.Next() {
		e := store.FindingEvent{Digest: digest}
		var kind, sev string
		var at int64
		if err := rows.Scan(&kind, &e.VulnID, &e.Package, &e.Version, &sev, &at); err != nil {
			return nil, fmt.Errorf("%s: history: %w", s.d.Name, err)
		}
		e.Kind, e.Severity, e.At = store.EventKind(kind), model.Rating(sev), fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Snapshot returns a stored image's inventory, report fingerprint and
// counted findings.
func (s *Store) Snapshot(ctx context.Context, digest string) (*store.Snapshot, error) {
	var blob []byte
	snap := &store.Snapshot{}
	err := s.r.QueryRowContext(ctx, s.q(`SELECT inventory, fingerprint FROM images WHERE digest = ?`), digest).Scan(&blob, &snap.Fingerprint)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("image %s: %w", digest, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: snapshot %s: %w", s.d.Name, digest, err)
	}
	snap.Inventory = new(model.Inventory)
	if err := unpackInventory(blob, snap.Inventory); err != nil {
		return nil, fmt.Errorf("inventory %s: decode: %w", digest, err)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT vuln_id, package, version, severity FROM findings WHERE digest = ?`), digest)
	if err != nil {
		return nil, fmt.Errorf("%s: snapshot %s: %w", s.d.Name, digest, err)
	}
	defer rows.Close()
	for rows.Next() {
		e := store.FindingEvent{Digest: digest}
		var sev string
		if err := rows.Scan(&e.VulnID, &e.Package, &e.Version, &sev); err != nil {
			return nil, fmt.Errorf("%s: snapshot %s: %w", s.d.Name, digest, err)
		}
		e.Severity = model.Rating(sev)
		snap.Counted = append(snap.Counted, e)
	}
	return snap, rows.Err()
}
