package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/bulwark-security/bulwark/internal/model"
)

// ErrUnknownFormat is returned by Decode for input that is neither
// CycloneDX nor SPDX.
var ErrUnknownFormat = errors.New("not a CycloneDX or SPDX JSON document")

// maxSBOM bounds what Decode reads; real image SBOMs are a few MB.
const maxSBOM = 512 << 20

// Decode reads a CycloneDX (JSON or XML) or SPDX 2.x JSON document,
// telling them apart by content.
func Decode(r io.Reader) (*model.Inventory, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSBOM+1))
	if err != nil {
		return nil, fmt.Errorf("read sbom: %w", err)
	}
	if len(data) > maxSBOM {
		return nil, fmt.Errorf("sbom larger than %d MiB", maxSBOM>>20)
	}
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] == '<' {
		return DecodeCycloneDX(bytes.NewReader(data))
	}
	var head struct {
		BOMFormat   string `json:"bomFormat"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	switch {
	case head.BOMFormat == "CycloneDX":
		return DecodeCycloneDX(bytes.NewReader(data))
	case head.SPDXVersion != "":
		return DecodeSPDX(bytes.NewReader(data))
	}
	return nil, ErrUnknownFormat
}
