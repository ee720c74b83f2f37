package contracts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"strings"
)

// Content types a contract file may have.
const (
	TypePDF  = "application/pdf"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
)

// AllowedTypes lists the content types a grant may name.
var AllowedTypes = []string{TypePDF, TypeDOCX, TypePNG, TypeJPEG}

func allowedType(ct string) bool {
	for _, t := range AllowedTypes {
		if t == ct {
			return true
		}
	}
	return false
}

func allowedList() string { return strings.Join(AllowedTypes, ", ") }

// Kinds of content that Sniff reports besides the allowed types.
const (
	KindExecutable = "executable" // a program, whatever its name says
	KindZip        = "application/zip"
)

const sniffLen = 512

var (
	zipMagic = []byte("PK\x03\x04")
	pdfMagic = []byte("%PDF-")
	// OOXML word documents name these parts in their local file headers.
	docxMarkers = [][]byte{[]byte("[Content_Types].xml"), []byte("word/document.xml")}
	execMagics  = [][]byte{
		[]byte("MZ"),             // Windows PE
		[]byte("\x7fELF"),        // Linux
		{0xfe, 0xed, 0xfa, 0xce}, // Mach-O 32
		{0xfe, 0xed, 0xfa, 0xcf}, // Mach-O 64
		{0xce, 0xfa, 0xed, 0xfe}, // Mach-O 32, little-endian
		{0xcf, 0xfa, 0xed, 0xfe}, // Mach-O 64, little-endian
		{0xca, 0xfe, 0xba, 0xbe}, // Mach-O universal (and Java classes)
		[]byte("#!"),             // scripts
		[]byte("\x00asm"),        // WebAssembly
		[]byte("dex\n"),          // Android
	}
)

// Inspector learns what Verify needs from one pass over a file: it is an
// io.Writer that hashes, counts, keeps the first 512 bytes and watches for
// the part names of a Word document, holding nothing else in memory.
type Inspector struct {
	sha    hash.Hash
	n      int64
	head   []byte
	tail   []byte // the last bytes written, to find markers across writes
	marked []bool
}

// NewInspector returns an empty Inspector.
func NewInspector() *Inspector {
	return &Inspector{sha: sha256.New(), marked: make([]bool, len(docxMarkers))}
}

// Write implements io.Writer; it never fails.
func (in *Inspector) Write(p []byte) (int, error) {
	in.sha.Write(p)
	in.n += int64(len(p))
	if room := sniffLen - len(in.head); room > 0 {
		in.head = append(in.head, p[:min(room, len(p))]...)
	}
	in.scan(p)
	return len(p), nil
}

// maxMarker is the length of the longest marker.
const maxMarker = 19

func (in *Inspector) scan(p []byte) {
	if len(p) >= maxMarker-1 {
		in.mark(append(in.tail, p[:maxMarker-1]...))
		in.mark(p)
		in.tail = append(in.tail[:0], p[len(p)-(maxMarker-1):]...)
		return
	}
	// A short write: keep the tail and the write together.
	edge := append(in.tail, p...)
	in.mark(edge)
	in.tail = append(in.tail[:0], edge[max(0, len(edge)-(maxMarker-1)):]...)
}

func (in *Inspector) mark(b []byte) {
	for i, m := range docxMarkers {
		if !in.marked[i] && bytes.Contains(b, m) {
			in.marked[i] = true
		}
	}
}

// Size returns how many bytes were written.
func (in *Inspector) Size() int64 { return in.n }

// SHA256 returns the lower-case hex SHA-256 of what was written.
func (in *Inspector) SHA256() string { return hex.EncodeToString(in.sha.Sum(nil)) }

// Kind returns the content type the bytes show: one of AllowedTypes,
// KindExecutable, KindZip for other archives, or what
// http.DetectContentType says.
func (in *Inspector) Kind() string {
	return Sniff(in.head, in.marked[0] && in.marked[1])
}

// Sniff classifies a file from its first bytes; docxParts says whether the
// file names the parts of a Word document.
func Sniff(head []byte, docxParts bool) string {
	for _, m := range execMagics {
		if bytes.HasPrefix(head, m) {
			return KindExecutable
		}
	}
	switch {
	case bytes.HasPrefix(head, pdfMagic):
		return TypePDF
	case bytes.HasPrefix(head, zipMagic) && docxParts:
		return TypeDOCX
	case bytes.HasPrefix(head, zipMagic):
		return KindZip
	}
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return ct
}
