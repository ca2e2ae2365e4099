package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-security/bulwark/internal/model"
	"github.com/bulwark-security/bulwark/internal/report/sbom"
	"github.com/bulwark-security/bulwark/internal/rescan"
	"github.com/bulwark-security/bulwark/internal/store"
)

// IngestRequest is the body of POST /api/v1/inventories: an inventory
// (Bulwark's own JSON) or an SBOM (CycloneDX or SPDX JSON), and what the
// pipeline knows about the image.
type IngestRequest struct {
	Inventory *model.Inventory  `json:"inventory,omitempty"`
	SBOM      json.RawMessage   `json:"sbom,omitempty"`
	Digest    string            `json:"digest,omitempty"`
	Context   store.ScanContext `json:"context"`
}

// IngestResponse summarises the stored report.
type IngestResponse struct {
	Digest   string               `json:"digest"`
	Findings int                  `json:"findings"`
	Counts   store.SeverityCounts `json:"counts"`
	Pass     *bool                `json:"pass,omitempty"`
	New      int                  `json:"new"`
	Resolved int                  `json:"resolved"`
}

func (s *Server) ingest(w http.ResponseWriter, r *http.Request) error {
	var req IngestRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	inv := req.Inventory
	switch {
	case inv != nil && len(req.SBOM) > 0:
		return errStatus(http.StatusBadRequest, "send an inventory or an sbom, not both")
	case len(req.SBOM) > 0:
		var err error
		if inv, err = sbom.Decode(bytes.NewReader(req.SBOM)); err != nil {
			return errStatus(http.StatusBadRequest, "sbom: %v", err)
		}
	case inv == nil:
		return errStatus(http.StatusBadRequest, "request has neither an inventory nor an sbom")
	}
	if req.Digest != "" {
		inv.Image.Digest = req.Digest
	}
	digest := inv.Image.Digest
	if !strings.HasPrefix(digest, "sha256:") || len(digest) < 8 {
		return errStatus(http.StatusBadRequest, "image digest %q: want sha256:… (set digest when the SBOM has none)", digest)
	}
	if req.Context.Repo == "" {
		req.Context.Repo = inv.Image.Name
	}
	start := time.Now()
	prep, err := s.cfg.Matcher.Prepare(r.Context())
	if err != nil {
		return errStatus(http.StatusServiceUnavailable, "%v", err)
	}
	rep, err := prep.Report(r.Context(), inv)
	prep.Done()
	if err != nil {
		return err
	}
	s.cfg.Metrics.ScanTime.Observe(time.Since(start).Seconds())
	prev, err := s.cfg.Store.Report(r.Context(), digest)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var counted []store.FindingEvent
	if prev != nil {
		counted = store.Counted(prev)
	}
	events := rescan.Events(digest, counted, rep, s.now())
	in := &store.Ingest{Inventory: inv, Context: req.Context, Update: store.ImageUpdate{Digest: digest, Report: rep, Events: events}}
	if err := s.cfg.Store.PutImage(r.Context(), in); err != nil {
		return err
	}
	if s.cfg.Reported != nil {
		s.cfg.Reported(digest, rep)
	}
	s.cfg.Metrics.Ingests.Inc()
	resp := IngestResponse{Digest: digest, Findings: len(rep.Findings), Counts: store.CountFindings(rep)}
	if rep.Decision != nil {
		resp.Pass = &rep.Decision.Pass
	}
	for _, e := range events {
		if e.Kind == store.EventNew {
			resp.New++
		} else {
			resp.Resolved++
		}
	}
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

func (s *Server) images(w http.ResponseWriter, r *http.Request) error {
	imgs, err := s.cfg.Store.Images(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, imgs)
	return nil
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.cfg.Store.Report(r.Context(), r.PathValue("digest"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	d := r.PathValue("digest")
	if _, err := s.cfg.Store.Inventory(r.Context(), d); err != nil {
		return err
	}
	h, err := s.cfg.Store.History(r.Context(), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) packages(w http.ResponseWriter, r *http.Request) error {
	name := r.URL.Query().Get("name")
	if name == "" {
		return errStatus(http.StatusBadRequest, "query parameter name is required")
	}
	hits, err := s.cfg.Store.Packages(r.Context(), name, r.URL.Query().Get("version"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hits)
	return nil
}

// AffectedResponse answers "who is affected by this vulnerability?".
type AffectedResponse struct {
	ID      string          `json:"id"`
	Aliases []string        `json:"aliases,omitempty"`
	Summary string          `json:"summary,omitempty"`
	Images  []AffectedImage `json:"images"`
}

// AffectedImage is one affected image with the vulnerable packages and
// the workloads running it.
type AffectedImage struct {
	Digest    string                `json:"digest"`
	Repo      string                `json:"repo,omitempty"`
	Tags      []string              `json:"tags,omitempty"`
	Packages  []store.AffectedImage `json:"packages"`
	Workloads []store.Workload      `json:"workloads"`
}

func (s *Server) affected(w http.ResponseWriter, r *http.Request) error {
	id := strings.TrimSpace(r.PathValue("id"))
	if id == "" {
		return errStatus(http.StatusBadRequest, "vulnerability id is required")
	}
	resp := AffectedResponse{ID: id, Images: []AffectedImage{}}
	ids := []string{id}
	if db, done, err := s.cfg.Matcher.Reader(); err == nil {
		v, verr := db.Vulnerability(r.Context(), id)
		done()
		if verr != nil {
			return verr
		}
		if v != nil {
			resp.ID, resp.Summary = v.ID, v.Summary
			for _, a := range append([]string{v.ID}, v.Aliases...) {
				if a != id {
					resp.Aliases = append(resp.Aliases, a)
				}
				if !slices.Contains(ids, a) {
					ids = append(ids, a)
				}
			}
		}
	}
	rows, err := s.cfg.Store.Affected(r.Context(), ids)
	if err != nil {
		return err
	}
	var digests []string
	byDigest := map[string]int{}
	for _, a := range rows {
		i, ok := byDigest[a.Digest]
		if !ok {
			i = len(resp.Images)
			byDigest[a.Digest] = i
			digests = append(digests, a.Digest)
			resp.Images = append(resp.Images, AffectedImage{Digest: a.Digest, Repo: a.Repo, Tags: a.Tags, Workloads: []store.Workload{}})
		}
		resp.Images[i].Packages = append(resp.Images[i].Packages, a)
	}
	ws, err := s.cfg.Store.Workloads(r.Context(), digests, s.now())
	if err != nil {
		return err
	}
	for _, wl := range ws {
		im := &resp.Images[byDigest[wl.Digest]]
		im.Workloads = append(im.Workloads, wl)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) listRisks(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.cfg.Store.Risks(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rs)
	return nil
}

func (s *Server) addRisk(w http.ResponseWriter, r *http.Request) error {
	var risk store.AcceptedRisk
	if err := decodeJSON(r, &risk); err != nil {
		return err
	}
	if risk.VulnID == "" || risk.Reason == "" {
		return errStatus(http.StatusBadRequest, "accepted risk: vulnID and reason are required")
	}
	out, err := s.cfg.Store.PutRisk(r.Context(), risk)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) deleteRisk(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errStatus(http.StatusBadRequest, "accepted risk id %q: not a number", r.PathValue("id"))
	}
	if err := s.cfg.Store.DeleteRisk(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// WorkloadReport is the body of POST /api/v1/workloads: the complete set
// of containers one reporter (a cluster watcher or node agent) sees. It
// replaces that reporter's previous set.
type WorkloadReport struct {
	Reporter  string           `json:"reporter"`
	Workloads []store.Workload `json:"workloads"`
	// TTLSeconds is how long the set counts unless renewed.
	TTLSeconds int `json:"ttlSeconds,omitempty"`
}

func (s *Server) workloads(w http.ResponseWriter, r *http.Request) error {
	var rep WorkloadReport
	if err := decodeJSON(r, &rep); err != nil {
		return err
	}
	if rep.Reporter == "" {
		return errStatus(http.StatusBadRequest, "workload report: reporter is required")
	}
	for i, wl := range rep.Workloads {
		if !strings.HasPrefix(wl.Digest, "sha256:") {
			return errStatus(http.StatusBadRequest, "workload %d (%s/%s): imageDigest %q: want sha256:…", i, wl.Namespace, wl.Pod, wl.Digest)
		}
	}
	ttl := s.cfg.WorkloadTTL
	if rep.TTLSeconds > 0 {
		ttl = time.Duration(rep.TTLSeconds) * time.Second
	}
	if err := s.cfg.Store.PutWorkloads(r.Context(), rep.Reporter, rep.Workloads, s.now().Add(ttl)); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"workloads": len(rep.Workloads)})
	return nil
}

func (s *Server) dbUpdate(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Updater == nil {
		return errStatus(http.StatusServiceUnavailable, "database updates are not configured on this server")
	}
	res, err := s.cfg.Updater.Update(r.Context())
	if err != nil {
		s.cfg.Metrics.DBUpdates.WithLabelValues("error").Inc()
		return errStatus(http.StatusBadGateway, "%v", err)
	}
	s.cfg.Metrics.DBUpdates.WithLabelValues("ok").Inc()
	writeJSON(w, http.StatusOK, res)
	return nil
}

// RescanResponse names a queued rescan.
type RescanResponse struct {
	Batch  string `json:"batch,omitempty"`
	Images int    `json:"images"`
}

func (s *Server) fullRescan(w http.ResponseWriter, r *http.Request) error {
	batch, n, err := s.cfg.Rescanner.EnqueueAll(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, RescanResponse{Batch: batch, Images: n})
	return nil
}

func (s *Server) rescanStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.cfg.Store.Batch(r.Context(), r.PathValue("batch"))
	if err != nil {
		return err
	}
	if st == (store.BatchStatus{}) {
		return errStatus(http.StatusNotFound, "no rescan batch %q", r.PathValue("batch"))
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
