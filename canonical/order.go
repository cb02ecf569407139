package canonical

import "unicode/utf8"

// compareUTF16 compares two valid UTF-8 strings in the order of their UTF-16
// code units, as Java's String.compareTo does. It equals code-point order
// except that U+E000..U+FFFF sort after the supplementary planes (whose
// surrogates are D800..DFFF).
func compareUTF16(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		return len(a) - len(b)
	}
	if a[i] < utf8.RuneSelf || b[i] < utf8.RuneSelf {
		return int(a[i]) - int(b[i])
	}
	// Back up to the start of the rune holding the first difference; the
	// prefix is equal, so it starts at the same offset in both.
	j := i
	for j > 0 && a[j]&0xC0 == 0x80 {
		j--
	}
	ra, _ := utf8.DecodeRune(a[j:])
	rb, _ := utf8.DecodeRune(b[j:])
	return int(utf16Rank(ra)) - int(utf16Rank(rb))
}

// utf16Rank maps a rune to a value whose order is the order of the rune's
// first UTF-16 code unit (ties between supplementary runes are broken in
// code-point order, which equals the order of their second units).
func utf16Rank(r rune) rune {
	if r >= 0xE000 && r <= 0xFFFF {
		return r + 0x200000
	}
	return r
}
