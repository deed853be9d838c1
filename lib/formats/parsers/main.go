// Command parsers holds the parsers the container engines read their
// configuration with, built for WebAssembly (GOOS=wasip1, a reactor:
// -buildmode=c-shared) so that rtconf can run them before it writes a file.
// scripts/build-parsers.sh builds it from Debian's packages of Go and of the
// libraries; README.md beside this file says which engine uses which library,
// at which version and with which options.
//
// The module exports three functions. input(n) returns a buffer of n bytes
// for the text; decode(parser) reads the text with one parser and returns
// the length of its answer; output() returns where the answer is. The answer
// is JSON: {"value": V} with the decoded document, or {"error": {"message":
// M, "line": L, "column": C}} with the parser's own message and position (0
// where the parser gives none). In V, tables are objects and arrays are
// arrays; every other value is a string whose first character is its type:
// s string, i integer, f float (decimal, "inf", "-inf" or "nan"), b boolean,
// n null (JSON), o offset date-time (UTC, milliseconds), l local date-time,
// D local date, T local time (milliseconds; TOML requires no more).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	burntsushi "github.com/BurntSushi/toml"
	gotomlv1 "github.com/pelletier/go-toml"
	gotomlv2 "github.com/pelletier/go-toml/v2"
)

// The parsers, by the number decode takes.
const (
	goTomlV1       = 1 // containerd 1.6 and 1.7
	goTomlV2       = 2 // containerd 2.x
	burntSushiToml = 3 // CRI-O
	dockerdJSON    = 4 // dockerd's daemon.json
)

func main() {}

var in, out []byte

//go:wasmexport input
func input(size int32) unsafe.Pointer {
	in = make([]byte, size+1) // never empty: its address is the answer
	in = in[:size]
	return unsafe.Pointer(unsafe.SliceData(in))
}

//go:wasmexport output
func output() unsafe.Pointer {
	return unsafe.Pointer(unsafe.SliceData(out))
}

//go:wasmexport decode
func decode(parser int32) int32 {
	value, err := read(parser, in)
	var w bytes.Buffer
	if err != nil {
		message, line, column := position(parser, err)
		fmt.Fprintf(&w, `{"error":{"message":%s,"line":%d,"column":%d}}`, quote(message), line, column)
	} else {
		w.WriteString(`{"value":`)
		write(&w, reflect.ValueOf(value))
		w.WriteString("}")
	}
	out = w.Bytes()
	return int32(len(out))
}

// read decodes a text as the engine does, into Go's generic values.
func read(parser int32, text []byte) (any, error) {
	switch parser {
	case goTomlV1:
		// containerd 1.x: toml.LoadFile, then Tree.Unmarshal into its config.
		tree, err := gotomlv1.LoadBytes(text)
		if err != nil {
			return nil, err
		}
		return tree.ToMap(), nil
	case goTomlV2:
		// containerd 2.x: toml.NewDecoder(file).DisallowUnknownFields().Decode(config);
		// unknown keys only warn, and a generic map has none.
		document := map[string]any{}
		err := gotomlv2.NewDecoder(bytes.NewReader(text)).Decode(&document)
		return document, err
	case burntSushiToml:
		// CRI-O: toml.Decode(string(data), config), undecoded keys ignored.
		document := map[string]any{}
		_, err := burntsushi.Decode(string(text), &document)
		return document, err
	case dockerdJSON:
		// dockerd 24 and later: a byte order mark is dropped (the text arrives as
		// UTF-8), white space trimmed, an empty file is an empty configuration, then
		// json.Unmarshal into map[string]any (and into its config struct).
		text = bytes.TrimSpace(bytes.TrimPrefix(text, []byte("\uFEFF")))
		document := map[string]any{}
		if len(text) == 0 {
			return document, nil
		}
		err := json.Unmarshal(text, &document)
		return document, err
	}
	return nil, fmt.Errorf("no parser %d", parser)
}

// position is the parser's message and the line and column it names.
func position(parser int32, err error) (string, int, int) {
	message := err.Error()
	var v2 *gotomlv2.DecodeError
	var burntSushi burntsushi.ParseError
	var syntax *json.SyntaxError
	var typed *json.UnmarshalTypeError
	switch {
	case parser == goTomlV1:
		// go-toml v1's errors start with "(line, column): ".
		var line, column int
		if n, _ := fmt.Sscanf(message, "(%d, %d): ", &line, &column); n == 2 {
			_, rest, _ := strings.Cut(message, "): ")
			return rest, line, column
		}
	case errors.As(err, &v2):
		line, column := v2.Position()
		return strings.TrimPrefix(message, "toml: "), line, column
	case errors.As(err, &burntSushi):
		return burntSushi.Message, burntSushi.Position.Line, burntSushi.Position.Col
	case errors.As(err, &syntax):
		line, column := lineColumn(in, syntax.Offset)
		return message, line, column
	case errors.As(err, &typed):
		line, column := lineColumn(in, typed.Offset)
		return message, line, column
	}
	return message, 0, 0
}

// lineColumn is the line and column (in characters) of a byte offset.
func lineColumn(text []byte, offset int64) (int, int) {
	before := text[:min(max(offset, 0), int64(len(text)))]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// write writes a decoded value in the tagged form described above.
func write(w *bytes.Buffer, v reflect.Value) {
	if v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			w.WriteString(`"n"`)
			return
		}
		v = v.Elem()
	}
	if tag, ok := scalar(v.Interface()); ok {
		w.WriteString(quote(tag))
		return
	}
	switch v.Kind() {
	case reflect.Map:
		w.WriteByte('{')
		for i, key := range v.MapKeys() {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(quote(key.String()))
			w.WriteByte(':')
			write(w, v.MapIndex(key))
		}
		w.WriteByte('}')
	case reflect.Slice, reflect.Array:
		w.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			write(w, v.Index(i))
		}
		w.WriteByte(']')
	default:
		w.WriteString(quote(fmt.Sprintf("?%T", v.Interface())))
	}
}

// scalar is the tag of a value that is not a table or an array.
func scalar(value any) (string, bool) {
	switch x := value.(type) {
	case string:
		return "s" + x, true
	case bool:
		return "b" + strconv.FormatBool(x), true
	case int64:
		return "i" + strconv.FormatInt(x, 10), true
	case uint64:
		return "i" + strconv.FormatUint(x, 10), true
	case float64:
		switch {
		case math.IsNaN(x):
			return "fnan", true
		case math.IsInf(x, 1):
			return "finf", true
		case math.IsInf(x, -1):
			return "f-inf", true
		}
		return "f" + strconv.FormatFloat(x, 'g', -1, 64), true
	case time.Time:
		switch x.Location().String() { // BurntSushi's local kinds
		case "datetime-local":
			return "l" + date(x.Year(), int(x.Month()), x.Day()) + "T" + clock(x.Hour(), x.Minute(), x.Second(), x.Nanosecond()), true
		case "date-local":
			return "D" + date(x.Year(), int(x.Month()), x.Day()), true
		case "time-local":
			return "T" + clock(x.Hour(), x.Minute(), x.Second(), x.Nanosecond()), true
		}
		return "o" + x.UTC().Format("2006-01-02T15:04:05.000Z"), true
	case gotomlv1.LocalDate:
		return "D" + date(x.Year, int(x.Month), x.Day), true
	case gotomlv1.LocalTime:
		return "T" + clock(x.Hour, x.Minute, x.Second, x.Nanosecond), true
	case gotomlv1.LocalDateTime:
		return "l" + date(x.Date.Year, int(x.Date.Month), x.Date.Day) + "T" + clock(x.Time.Hour, x.Time.Minute, x.Time.Second, x.Time.Nanosecond), true
	case gotomlv2.LocalDate:
		return "D" + date(x.Year, x.Month, x.Day), true
	case gotomlv2.LocalTime:
		return "T" + clock(x.Hour, x.Minute, x.Second, x.Nanosecond), true
	case gotomlv2.LocalDateTime:
		return "l" + date(x.Year, x.Month, x.Day) + "T" + clock(x.Hour, x.Minute, x.Second, x.Nanosecond), true
	}
	return "", false
}

func date(year, month, day int) string {
	return fmt.Sprintf("%04d-%02d-%02d", year, month, day)
}

func clock(hour, minute, second, nanosecond int) string {
	return fmt.Sprintf("%02d:%02d:%02d.%03d", hour, minute, second, nanosecond/1e6)
}
