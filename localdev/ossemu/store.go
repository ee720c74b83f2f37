package ossemu

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xietong/xietong/localdev/boltblob"
)

// Layout of one bucket under Config.Dir:
//
//	<bucket>/index.db                 object metadata, a bbolt file (the commit point),
//	                                  and the bytes of objects up to inlineMax, in
//	                                  chunks (package boltblob)
//	<bucket>/data/<id>                bytes of larger objects, immutable once written
//	<bucket>/uploads/<uploadId>/...   multipart uploads in progress
//	<bucket>/tmp/                     files being written
//	<bucket>/layout                   "flat", or "sharded" for data in <hh>/ subdirectories
//
// Buckets made before index.db kept each object's metadata in a file,
// meta/<hh>/<sha256(key)>.json, and data files in 256 subdirectories named
// by the first two hex digits of the file name. Open moves such metadata
// into index.db and keeps the data where it is (the sharded layout). On
// some file systems creating a file costs near a millisecond, and those
// metadata files, with the subdirectories, were most of a put's cost.
//
// Every write of an object goes to fresh data (a file, or for small objects
// an inline value, whose id is inlinePrefix and its number); the object
// changes when its metadata is committed to index.db, and the old data is
// removed afterwards. A crash leaves at worst unreferenced data, which the next Open
// removes. Nothing is fsynced: objects survive a process restart, not a
// power cut.

var crcTable = crc64.MakeTable(crc64.ECMA)

// objectMeta describes one stored object. A value is never modified once it
// is in the index; changes replace it.
type objectMeta struct {
	Key          string            `json:"key"`
	Data         string            `json:"data"`
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"`          // upper-case hex, no quotes
	MD5          string            `json:"md5,omitempty"` // base64, Normal objects only
	CRC64        uint64            `json:"crc64"`
	Type         string            `json:"type"` // Normal or Multipart
	ContentType  string            `json:"contentType"`
	Headers      map[string]string `json:"headers,omitempty"` // Cache-Control, ...
	Meta         map[string]string `json:"meta,omitempty"`    // x-oss-meta-* suffixes
	Tags         []tag             `json:"tags,omitempty"`
	LastModified time.Time         `json:"lastModified"`
}

// tag is one object tag.
type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// bucket is one bucket's index and directory.
type bucket struct {
	name string
	dir  string
	db   *bolt.DB // index.db: object key to objectMeta JSON
	flat bool     // data files are not in <hh>/ subdirectories

	mu      sync.Mutex
	objects map[string]*objectMeta
	sorted  []string // keys of objects, sorted; nil when stale

	dirs sync.Map // directories known to exist
}

// A bucket's files and index: names, the layout file's two contents, and
// the largest object kept inline.
const (
	layoutFile     = "layout"
	flatLayout     = "flat\n"
	shardedLayout  = "sharded\n"
	legacyMetaDir  = "meta"
	indexFile      = "index.db"
	objectsBucket  = "objects"
	dataBucket     = "blobs" // inline data, chunked (boltblob)
	inlinePrefix   = "i"
	inlineMax      = 256 << 10
	indexOpenLimit = 2 * time.Second
)

// mkdirFor makes the directory of path. Data directories are never
// removed, so each is made once (MkdirAll costs a system call even for one
// that exists); others (multipart uploads) every time.
func (b *bucket) mkdirFor(path string) error {
	dir := filepath.Dir(path)
	if _, ok := b.dirs.Load(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data := filepath.Join(b.dir, "data")
	if dir == data || filepath.Dir(dir) == data {
		b.dirs.Store(dir, struct{}{})
	}
	return nil
}

// chooseLayout reads the bucket's layout file or, for a bucket without
// one, writes it: sharded when the bucket has legacy metadata files, flat
// when it is new.
func (b *bucket) chooseLayout() error {
	data, err := os.ReadFile(filepath.Join(b.dir, layoutFile))
	switch {
	case err == nil && string(data) == flatLayout:
		b.flat = true
		return nil
	case err == nil && string(data) == shardedLayout:
		return nil
	case err == nil:
		return fmt.Errorf("layout file: unknown layout %q", data)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	layout := flatLayout
	if _, err := os.Stat(filepath.Join(b.dir, legacyMetaDir)); err == nil {
		layout = shardedLayout
	} else if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(b.dir, layoutFile+".tmp")
	if err := os.WriteFile(tmp, []byte(layout), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(b.dir, layoutFile)); err != nil {
		return err
	}
	b.flat = layout == flatLayout
	return nil
}

func openBucket(root, name string) (*bucket, error) {
	b := &bucket{name: name, dir: filepath.Join(root, name), objects: map[string]*objectMeta{}}
	if err := b.openIndex(); err != nil {
		if b.db != nil {
			b.db.Close()
		}
		return nil, fmt.Errorf("ossemu: open bucket %q: %w", name, err)
	}
	return b, nil
}

// openIndex makes the bucket's directories, opens its index and loads it.
func (b *bucket) openIndex() error {
	if err := b.chooseLayout(); err != nil {
		return err
	}
	for _, sub := range []string{"data", "uploads", "tmp"} {
		if err := os.MkdirAll(filepath.Join(b.dir, sub), 0o755); err != nil {
			return err
		}
	}
	// Not fsynced, as the data files are not: bbolt still writes every
	// commit to the file before it returns.
	db, err := bolt.Open(filepath.Join(b.dir, indexFile), 0o600, &bolt.Options{
		Timeout: indexOpenLimit, NoSync: true, NoFreelistSync: true,
		FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	b.db = db
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists([]byte(objectsBucket)); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists([]byte(dataBucket))
		return err
	}); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if err := b.importLegacy(); err != nil {
		return fmt.Errorf("legacy metadata: %w", err)
	}
	return b.load()
}

// importLegacy moves metadata files of the old layout into the index, in
// one commit, then removes them. A crash before the removal only means the
// next open imports the same files again.
func (b *bucket) importLegacy() error {
	dir := filepath.Join(b.dir, legacyMetaDir)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		objects := tx.Bucket([]byte(objectsBucket))
		return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			var m objectMeta
			if err := json.Unmarshal(data, &m); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			return objects.Put([]byte(m.Key), data)
		})
	})
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// load reads the index and removes data files nothing refers to.
func (b *bucket) load() error {
	os.RemoveAll(filepath.Join(b.dir, "tmp"))
	if err := os.MkdirAll(filepath.Join(b.dir, "tmp"), 0o755); err != nil {
		return err
	}
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(objectsBucket)).ForEach(func(k, v []byte) error {
			var m objectMeta
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("index entry %q: %w", k, err)
			}
			b.objects[m.Key] = &m
			return nil
		})
	})
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, m := range b.objects {
		used[m.Data] = true
	}
	err = b.db.Update(func(tx *bolt.Tx) error {
		data := tx.Bucket([]byte(dataBucket))
		var unused []uint64
		err := boltblob.IDs(data, func(id uint64) error {
			if !used[inlineID(id)] {
				unused = append(unused, id)
			}
			return nil
		})
		for _, id := range unused {
			err = errors.Join(err, boltblob.Delete(data, id))
		}
		return err
	})
	if err != nil {
		return err
	}
	return filepath.WalkDir(filepath.Join(b.dir, "data"),
		func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !used[d.Name()] {
				return os.Remove(p)
			}
			return err
		})
}

// close closes the bucket's index.
func (b *bucket) close() error { return b.db.Close() }

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (b *bucket) dataPath(id string) string {
	if b.flat {
		return filepath.Join(b.dir, "data", id)
	}
	return filepath.Join(b.dir, "data", id[:2], id)
}

// staged is a data file written but not yet part of any object.
type staged struct {
	id   string
	size int64
	md5  []byte
	crc  uint64
}

// errTooLarge is returned by stage when the body exceeds its limit.
var errTooLarge = errors.New("too large")

// stage streams r into new data, hashing it on the way: an index entry if
// r holds at most inlineMax bytes, a data file otherwise. It reads at most
// limit bytes and fails with errTooLarge if there are more.
func (b *bucket) stage(r io.Reader, limit int64) (*staged, error) {
	buf := inlineBuffers.Get().(*[]byte)
	defer inlineBuffers.Put(buf)
	// Not io.ReadFull: it reports a body that ends early as it reports one
	// cut off (the client gone), io.ErrUnexpectedEOF, and a cut body must
	// fail, not become the object.
	n := 0
	for n < len(*buf) {
		k, err := r.Read((*buf)[n:])
		n += k
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if n == len(*buf) { // More than inlineMax: a file.
		return b.stageFile(io.MultiReader(bytes.NewReader(*buf), r), limit)
	}
	if int64(n) > limit {
		return nil, errTooLarge
	}
	data := (*buf)[:n]
	sum := md5.Sum(data)
	st := &staged{size: int64(n), md5: sum[:], crc: crc64.Checksum(data, crcTable)}
	// bbolt refers to data until the transaction commits, not after: the
	// buffer can go back to the pool.
	id, err := b.putInline(data)
	if err != nil {
		return nil, err
	}
	st.id = id
	return st, nil
}

// inlineBuffers holds the buffers stage reads bodies into: one byte more
// than inlineMax, to tell a body that fits from one that does not.
var inlineBuffers = sync.Pool{New: func() any {
	b := make([]byte, inlineMax+1)
	return &b
}}

// stageFile streams r into a new data file.
func (b *bucket) stageFile(r io.Reader, limit int64) (*staged, error) {
	id := newID()
	p := b.dataPath(id)
	if err := b.mkdirFor(p); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := copyHashed(f, r, limit)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return nil, err
	}
	st.id = id
	return st, nil
}

// isInline reports whether the data id names inline data.
func isInline(id string) bool { return strings.HasPrefix(id, inlinePrefix) }

// inlineID is the data id of the inline value seq.
func inlineID(seq uint64) string { return inlinePrefix + strconv.FormatUint(seq, 10) }

// inlineSeq is the value of the inline data id.
func inlineSeq(id string) (uint64, error) {
	seq, err := strconv.ParseUint(strings.TrimPrefix(id, inlinePrefix), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("inline data id %q: %w", id, err)
	}
	return seq, nil
}

// putInline stores data as a new inline value of the bucket's index and
// returns its data id.
func (b *bucket) putInline(data []byte) (string, error) {
	var seq uint64
	err := b.db.Update(func(tx *bolt.Tx) error {
		var err error
		seq, err = boltblob.Put(tx.Bucket([]byte(dataBucket)), data)
		return err
	})
	return inlineID(seq), err
}

// readInline returns a copy of the inline data id, of size bytes.
func (b *bucket) readInline(id string, size int64) ([]byte, error) {
	seq, err := inlineSeq(id)
	if err != nil {
		return nil, err
	}
	var data []byte
	err = b.db.View(func(tx *bolt.Tx) error {
		data, err = boltblob.Get(tx.Bucket([]byte(dataBucket)), seq, int(size))
		return err
	})
	return data, err
}

// removeData removes the data id, a file or inline.
func (b *bucket) removeData(id string) {
	if !isInline(id) {
		os.Remove(b.dataPath(id))
		return
	}
	seq, err := inlineSeq(id)
	if err != nil {
		return
	}
	_ = b.db.Update(func(tx *bolt.Tx) error { // Left over, it goes at the next open.
		return boltblob.Delete(tx.Bucket([]byte(dataBucket)), seq)
	})
}

// openData opens the data of m for reading.
func (b *bucket) openData(m *objectMeta) (io.ReadSeekCloser, error) {
	if !isInline(m.Data) {
		return os.Open(b.dataPath(m.Data))
	}
	data, err := b.readInline(m.Data, m.Size)
	if err != nil {
		return nil, err
	}
	return nopCloser{bytes.NewReader(data)}, nil
}

// nopCloser reads inline data from memory.
type nopCloser struct{ *bytes.Reader }

// Close implements io.Closer; there is nothing to release.
func (nopCloser) Close() error { return nil }

// copyBuffers holds the buffers bodies are copied through: larger than
// io.Copy's default, to make fewer write calls.
var copyBuffers = sync.Pool{New: func() any {
	b := make([]byte, 256<<10)
	return &b
}}

// copyHashed copies up to limit bytes of r to w while computing MD5 and CRC64.
func copyHashed(w io.Writer, r io.Reader, limit int64) (*staged, error) {
	md := md5.New()
	crc := crc64.New(crcTable)
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	n, err := io.CopyBuffer(io.MultiWriter(w, md, crc), io.LimitReader(r, limit+1), *buf)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, errTooLarge
	}
	return &staged{size: n, md5: md.Sum(nil), crc: crc.Sum64()}, nil
}

// discard removes staged data that will not be committed.
func (b *bucket) discard(id string) { b.removeData(id) }

// lookup returns the metadata of key.
func (b *bucket) lookup(key string) (*objectMeta, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.objects[key]
	return m, ok
}

// open returns the metadata of key and its data, opened under the lock so
// that a concurrent overwrite cannot remove the file first.
func (b *bucket) open(key string) (*objectMeta, io.ReadSeekCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.objects[key]
	if !ok {
		return nil, nil, errNoSuchKey()
	}
	f, err := b.openData(m)
	if err != nil {
		return nil, nil, err
	}
	return m, f, nil
}

// commit makes m the object at m.Key. With forbidOverwrite it fails with
// FileAlreadyExists when the key exists. It returns the replaced object.
func (b *bucket) commit(m *objectMeta, forbidOverwrite bool) (*objectMeta, error) {
	b.mu.Lock()
	old, exists := b.objects[m.Key]
	if exists && forbidOverwrite {
		b.mu.Unlock()
		return nil, errFileExists()
	}
	if err := b.writeMeta(m); err != nil {
		b.mu.Unlock()
		return nil, err
	}
	b.objects[m.Key] = m
	if !exists {
		b.sorted = nil
	}
	b.mu.Unlock()
	if exists && old.Data != m.Data {
		b.removeData(old.Data)
	}
	return old, nil
}

// replaceMeta swaps the metadata of an existing object whose data file is
// unchanged, as tagging does; update returns the new metadata from the old.
func (b *bucket) replaceMeta(key string, update func(*objectMeta) (*objectMeta, error)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	old, ok := b.objects[key]
	if !ok {
		return errNoSuchKey()
	}
	m, err := update(old)
	if err != nil {
		return err
	}
	if err := b.writeMeta(m); err != nil {
		return err
	}
	b.objects[key] = m
	return nil
}

// linkTo gives the data of key a second name, new data of dst, for a copy.
// Data files are immutable, so the copy of a file shares its bytes.
func (b *bucket) linkTo(key string, dst *bucket) (*objectMeta, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.objects[key]
	if !ok {
		return nil, "", errNoSuchKey()
	}
	if isInline(m.Data) {
		data, err := b.readInline(m.Data, m.Size)
		if err != nil {
			return nil, "", err
		}
		id, err := dst.putInline(data)
		return m, id, err
	}
	id := newID()
	p := dst.dataPath(id)
	if err := dst.mkdirFor(p); err != nil {
		return nil, "", err
	}
	if err := os.Link(b.dataPath(m.Data), p); err != nil {
		return nil, "", err
	}
	return m, id, nil
}

// remove deletes key and reports the object it removed, if any.
func (b *bucket) remove(key string) (*objectMeta, error) {
	b.mu.Lock()
	m, ok := b.objects[key]
	if !ok {
		b.mu.Unlock()
		return nil, nil
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(objectsBucket)).Delete([]byte(key))
	})
	if err != nil {
		b.mu.Unlock()
		return nil, err
	}
	delete(b.objects, key)
	b.sorted = nil
	b.mu.Unlock()
	b.removeData(m.Data)
	return m, nil
}

// scan calls fn, under the lock, for each object whose key is from or
// greater, in key order, until fn returns false.
func (b *bucket) scan(from string, fn func(*objectMeta) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sorted == nil {
		b.sorted = make([]string, 0, len(b.objects))
		for k := range b.objects {
			b.sorted = append(b.sorted, k)
		}
		sort.Strings(b.sorted)
	}
	for i := sort.SearchStrings(b.sorted, from); i < len(b.sorted); i++ {
		if !fn(b.objects[b.sorted[i]]) {
			return
		}
	}
}

// writeMeta commits m to the index.
func (b *bucket) writeMeta(m *objectMeta) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(objectsBucket)).Put([]byte(m.Key), data)
	})
}

// writeJSON writes v to path atomically: a temporary file renamed into place.
func (b *bucket) writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.writeFile(path, data)
}

func (b *bucket) writeFile(path string, data []byte) error {
	if err := b.mkdirFor(path); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "meta-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
