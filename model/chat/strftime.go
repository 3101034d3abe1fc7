package chat

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
)

// strftimeNow is transformers' strftime_now(format): datetime.now().strftime(format), local time,
// naive (so %z and %Z give ""). The engine's own version maps formats to Go layouts by
// replacement, which misreads literal text such as "1" or "Mon" in a format; this one walks the
// format as C's strftime does.
var strftimeNow = jinja.NewCallable("strftime_now", func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
	if len(args) != 1 || len(kwargs) != 0 || !args[0].IsString() {
		return jinja.Undefined(), fmt.Errorf("strftime_now takes one format string")
	}
	s, err := strftime(time.Now(), args[0].AsString())
	if err != nil {
		return jinja.Undefined(), err
	}
	return jinja.NewString(s), nil
})

// strftime formats t as Python's datetime.strftime does on Linux (glibc, C locale) for the
// directives Python documents plus glibc's common extras (%e %F %T %D %R %h %u %n %t). An
// unknown directive is an error rather than a guess.
func strftime(t time.Time, format string) (string, error) {
	var b strings.Builder
	pad := func(n, w int) {
		s := strconv.Itoa(n)
		for i := len(s); i < w; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
	}
	hour12 := func() int {
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return h
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(format) {
			return "", fmt.Errorf("strftime_now: format %q ends with a lone %%", format)
		}
		i++
		switch d := format[i]; d {
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b.WriteString(strconv.Itoa(wd))
		case 'd':
			pad(t.Day(), 2)
		case 'e':
			if t.Day() < 10 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Itoa(t.Day()))
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'm':
			pad(int(t.Month()), 2)
		case 'y':
			pad(t.Year()%100, 2)
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'H':
			pad(t.Hour(), 2)
		case 'I':
			pad(hour12(), 2)
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'M':
			pad(t.Minute(), 2)
		case 'S':
			pad(t.Second(), 2)
		case 'f':
			pad(t.Nanosecond()/1000, 6)
		case 'z', 'Z':
			// datetime.now() is naive: no offset, no zone name.
		case 'j':
			pad(t.YearDay(), 3)
		case 'U': // week of the year, Sunday first; days before the first Sunday are week 0
			pad((t.YearDay()+6-int(t.Weekday()))/7, 2)
		case 'W': // Monday first
			pad((t.YearDay()+6-(int(t.Weekday())+6)%7)/7, 2)
		case 'c':
			s, _ := strftime(t, "%a %b %e %H:%M:%S %Y")
			b.WriteString(s)
		case 'x', 'D':
			s, _ := strftime(t, "%m/%d/%y")
			b.WriteString(s)
		case 'X', 'T':
			s, _ := strftime(t, "%H:%M:%S")
			b.WriteString(s)
		case 'F':
			s, _ := strftime(t, "%Y-%m-%d")
			b.WriteString(s)
		case 'R':
			s, _ := strftime(t, "%H:%M")
			b.WriteString(s)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case '%':
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("strftime_now: directive %%%c in %q is not supported", d, format)
		}
	}
	return b.String(), nil
}
