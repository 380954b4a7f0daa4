//! Samples compressed as Prometheus' XOR chunks (the Gorilla encoding), so a
//! recording held in memory costs a fraction of the sixteen bytes a sample
//! takes decoded: under one for a constant scraped every 15 s, about two and
//! a half for a busy counter.
//!
//! Each chunk holds up to [`SAMPLES_PER_CHUNK`] samples as one bit stream,
//! written most significant bit first:
//! - the first timestamp as a zigzag varint and the first value's 64 bits;
//! - the second timestamp as the delta from the first (uvarint), then every
//!   later one as the delta of deltas in a prefix-coded bucket: `0` (same
//!   delta), `10` + 14 bits, `110` + 17 bits, `1110` + 20 bits, `1111` + 64
//!   bits. Regular scrapes cost one bit, jittered ones 16;
//! - every later value as its XOR with the previous one: `0` when equal;
//!   `10` + the meaningful bits when they fit in the previous value's window
//!   of leading and trailing zeros; `11` + 5 bits of leading zeros + 6 bits
//!   of meaningful bit count (0 meaning 64) + the meaningful bits otherwise.
//!
//! The bucket bounds and control bits are those of Prometheus' `chunkenc`
//! XOR chunks, so its compression figures carry over. The sample count and
//! the time range live in the chunk's header, not in the stream: counting
//! and skipping whole chunks never decodes them.
//!
//! Values are compared as bits (`f64::to_bits`), never as floats: a NaN
//! keeps its payload, so Prometheus' stale marker survives, and `-0.0`
//! stays negative.
//!
//! Timestamp arithmetic wraps: deltas and deltas of deltas between any two
//! `i64` timestamps round-trip, however far apart.

/// At most this many samples per chunk (Prometheus cuts at 120).
pub const SAMPLES_PER_CHUNK: usize = 120;

/// One series' samples, compressed: chunks of up to [`SAMPLES_PER_CHUNK`],
/// in time order.
#[derive(Debug, Clone, Default)]
pub struct ChunkedSeries {
    chunks: Vec<Chunk>,
}

/// One chunk: its header in the clear (for binary search and counting
/// without decoding) and its bit stream.
#[derive(Debug, Clone)]
struct Chunk {
    min_t: i64,
    max_t: i64,
    len: u16,
    bytes: Box<[u8]>,
}

impl ChunkedSeries {
    /// Encodes samples in time order (timestamps strictly increasing, which
    /// the caller guarantees; `timestamps` and `values` of equal length).
    pub fn encode(timestamps: &[i64], values: &[f64]) -> ChunkedSeries {
        debug_assert_eq!(timestamps.len(), values.len());
        debug_assert!(
            timestamps.windows(2).all(|w| w[0] < w[1]),
            "timestamps must be strictly increasing"
        );
        let n = timestamps.len().min(values.len());
        let mut chunks = Vec::with_capacity(n.div_ceil(SAMPLES_PER_CHUNK));
        // One scratch buffer for every chunk; each chunk keeps an exact copy.
        let mut scratch = Vec::with_capacity(SAMPLES_PER_CHUNK * 16);
        for (ts, vs) in timestamps[..n]
            .chunks(SAMPLES_PER_CHUNK)
            .zip(values[..n].chunks(SAMPLES_PER_CHUNK))
        {
            scratch.clear();
            encode_chunk(ts, vs, &mut scratch);
            chunks.push(Chunk {
                min_t: ts[0],
                max_t: ts[ts.len() - 1],
                len: ts.len() as u16,
                bytes: Box::from(&scratch[..]),
            });
        }
        ChunkedSeries { chunks }
    }

    /// Appends samples later than every sample held (a recording read
    /// segment by segment); `append`ing whole chunks of
    /// [`SAMPLES_PER_CHUNK`] keeps them as full as one `encode` makes them.
    pub fn append(&mut self, timestamps: &[i64], values: &[f64]) {
        debug_assert!(
            match (self.time_range(), timestamps.first()) {
                (Some((_, last)), Some(&first)) => first > last,
                _ => true,
            },
            "appended samples must follow the ones held"
        );
        self.chunks
            .extend(ChunkedSeries::encode(timestamps, values).chunks);
    }

    /// Gives back the spare capacity appending left (a series built
    /// chunk by chunk is kept for the life of the process).
    pub fn shrink_to_fit(&mut self) {
        self.chunks.shrink_to_fit();
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| usize::from(c.len)).sum()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// First and last timestamp, `None` when empty.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        Some((self.chunks.first()?.min_t, self.chunks.last()?.max_t))
    }

    /// Exact number of samples with `mint <= t <= maxt`. Chunks wholly
    /// inside the range are counted from their header; only the (at most
    /// two) chunks straddling a bound are decoded.
    pub fn count_in(&self, mint: i64, maxt: i64) -> usize {
        self.overlapping(mint, maxt)
            .iter()
            .map(|c| {
                if mint <= c.min_t && c.max_t <= maxt {
                    usize::from(c.len)
                } else {
                    c.samples()
                        .skip_while(|&(t, _)| t < mint)
                        .take_while(|&(t, _)| t <= maxt)
                        .count()
                }
            })
            .sum()
    }

    /// Appends the samples with `mint <= t <= maxt` to `ts` and `vs`,
    /// decoding only the chunks that overlap the range.
    pub fn decode_into(&self, mint: i64, maxt: i64, ts: &mut Vec<i64>, vs: &mut Vec<f64>) {
        for c in self.overlapping(mint, maxt) {
            if mint <= c.min_t && c.max_t <= maxt {
                ts.reserve(usize::from(c.len));
                vs.reserve(usize::from(c.len));
                for (t, v) in c.samples() {
                    ts.push(t);
                    vs.push(v);
                }
            } else {
                // Samples are in time order: past maxt nothing more matches.
                for (t, v) in c.samples().skip_while(|&(t, _)| t < mint) {
                    if t > maxt {
                        break;
                    }
                    ts.push(t);
                    vs.push(v);
                }
            }
        }
    }

    /// Heap bytes held (chunk payloads and chunk headers), for memory
    /// reports.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * size_of::<Chunk>()
            + self.chunks.iter().map(|c| c.bytes.len()).sum::<usize>()
    }

    /// The chunks with samples possibly in `[mint, maxt]`: chunks are in
    /// time order and do not overlap, so both ends are binary searches.
    fn overlapping(&self, mint: i64, maxt: i64) -> &[Chunk] {
        if mint > maxt {
            return &[];
        }
        let first = self.chunks.partition_point(|c| c.max_t < mint);
        let end = self.chunks.partition_point(|c| c.min_t <= maxt);
        self.chunks.get(first..end).unwrap_or(&[])
    }
}

/// The marker of "no leading/trailing window yet" (Prometheus' 0xff).
const NO_WINDOW: u8 = 0xff;

/// Writes one chunk's samples (1 to [`SAMPLES_PER_CHUNK`]) to `out`.
fn encode_chunk(ts: &[i64], vs: &[f64], out: &mut Vec<u8>) {
    let mut w = BitWriter::new(out);
    let mut prev_t = ts[0];
    let mut prev_delta = 0u64;
    let mut prev_v = vs[0].to_bits();
    let (mut leading, mut trailing) = (NO_WINDOW, 0u8);
    w.write_varint(ts[0]);
    w.write_bits(prev_v, 64);
    for (i, (&t, &v)) in ts.iter().zip(vs).enumerate().skip(1) {
        // Wrapping: two timestamps may be further apart than i64 holds, and
        // the reader undoes the same wrapping arithmetic.
        let delta = t.wrapping_sub(prev_t) as u64;
        if i == 1 {
            w.write_uvarint(delta);
        } else {
            write_dod(&mut w, delta.wrapping_sub(prev_delta) as i64);
        }
        let bits = v.to_bits();
        write_xor(&mut w, bits ^ prev_v, &mut leading, &mut trailing);
        (prev_t, prev_delta, prev_v) = (t, delta, bits);
    }
    w.finish();
}

/// The delta-of-delta buckets after the zero bucket: control bits, their
/// count, and the payload width.
const DOD_BUCKETS: [(u64, u32, u32); 3] = [(0b10, 2, 14), (0b110, 3, 17), (0b1110, 4, 20)];

/// Whether `x` fits an `nbits` bucket. The range is Prometheus' (one more
/// positive than negative), which the reader's sign fix-up relies on.
fn fits(x: i64, nbits: u32) -> bool {
    let half = 1i64 << (nbits - 1);
    -(half - 1) <= x && x <= half
}

fn write_dod(w: &mut BitWriter<'_>, dod: i64) {
    if dod == 0 {
        w.write_bit(false);
        return;
    }
    for (control, control_len, nbits) in DOD_BUCKETS {
        if fits(dod, nbits) {
            w.write_bits(control, control_len);
            w.write_bits(dod as u64, nbits);
            return;
        }
    }
    w.write_bits(0b1111, 4);
    w.write_bits(dod as u64, 64);
}

fn write_xor(w: &mut BitWriter<'_>, delta: u64, leading: &mut u8, trailing: &mut u8) {
    if delta == 0 {
        w.write_bit(false);
        return;
    }
    w.write_bit(true);
    // Five bits hold the leading zeros: more than 31 are written as 31, and
    // the extra zeros travel as meaningful bits.
    let new_leading = (delta.leading_zeros() as u8).min(31);
    let new_trailing = delta.trailing_zeros() as u8;
    if *leading != NO_WINDOW && new_leading >= *leading && new_trailing >= *trailing {
        w.write_bit(false);
        w.write_bits(delta >> *trailing, u32::from(64 - *leading - *trailing));
        return;
    }
    (*leading, *trailing) = (new_leading, new_trailing);
    w.write_bit(true);
    w.write_bits(u64::from(new_leading), 5);
    let sigbits = 64 - new_leading - new_trailing;
    // Six bits hold 0..=63; 64 meaningful bits are written as 0.
    w.write_bits(u64::from(sigbits), 6);
    w.write_bits(delta >> new_trailing, u32::from(sigbits));
}

impl Chunk {
    fn samples(&self) -> Samples<'_> {
        Samples {
            r: BitReader::new(&self.bytes),
            remaining: self.len,
            read: 0,
            t: 0,
            delta: 0,
            v: 0,
            leading: 0,
            trailing: 0,
        }
    }
}

/// Decodes one chunk, sample by sample.
struct Samples<'a> {
    r: BitReader<'a>,
    remaining: u16,
    read: u16,
    t: i64,
    delta: u64,
    v: u64,
    leading: u8,
    trailing: u8,
}

impl Iterator for Samples<'_> {
    type Item = (i64, f64);

    fn next(&mut self) -> Option<(i64, f64)> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match self.read {
            0 => {
                self.t = self.r.read_varint();
                self.v = self.r.read_bits(64);
            }
            n => {
                self.delta = if n == 1 {
                    self.r.read_uvarint()
                } else {
                    self.delta.wrapping_add(self.read_dod() as u64)
                };
                self.t = self.t.wrapping_add(self.delta as i64);
                self.read_xor();
            }
        }
        self.read += 1;
        Some((self.t, f64::from_bits(self.v)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.remaining);
        (n, Some(n))
    }
}

impl Samples<'_> {
    fn read_dod(&mut self) -> i64 {
        let mut ones = 0;
        while ones < 4 && self.r.read_bit() {
            ones += 1;
        }
        let nbits = match ones {
            0 => return 0,
            1 => 14,
            2 => 17,
            3 => 20,
            _ => return self.r.read_bits(64) as i64,
        };
        let bits = self.r.read_bits(nbits);
        // Bucket values are in -(2^(n-1) - 1) ..= 2^(n-1): above the top
        // positive value the n-bit pattern is a negative number.
        if bits > 1 << (nbits - 1) {
            bits as i64 - (1i64 << nbits)
        } else {
            bits as i64
        }
    }

    fn read_xor(&mut self) {
        if !self.r.read_bit() {
            return;
        }
        if self.r.read_bit() {
            self.leading = self.r.read_bits(5) as u8;
            let sigbits = match self.r.read_bits(6) as u8 {
                0 => 64,
                n => n,
            };
            // A stream from this module always has leading + sigbits <= 64;
            // saturating keeps a damaged one from panicking.
            self.trailing = 64u8.saturating_sub(self.leading + sigbits);
        }
        let sigbits = 64u32.saturating_sub(u32::from(self.leading) + u32::from(self.trailing));
        let bits = self.r.read_bits(sigbits);
        self.v ^= bits.checked_shl(u32::from(self.trailing)).unwrap_or(0);
    }
}

/// Appends bits most significant first, 64 at a time.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Pending bits, left-aligned: the first `fill` high bits are written.
    acc: u64,
    fill: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> BitWriter<'a> {
        BitWriter {
            out,
            acc: 0,
            fill: 0,
        }
    }

    fn write_bit(&mut self, bit: bool) {
        self.write_bits(u64::from(bit), 1);
    }

    /// Writes the low `n` bits of `v` (`n` at most 64).
    fn write_bits(&mut self, v: u64, n: u32) {
        debug_assert!(n <= 64);
        if n == 0 {
            return;
        }
        let v = if n == 64 { v } else { v & ((1 << n) - 1) };
        let free = 64 - self.fill;
        if n < free {
            self.acc |= v << (free - n);
            self.fill += n;
        } else {
            // Fill the word, flush it, and start the next with what is left.
            let rest = n - free;
            self.acc |= v >> rest;
            self.out.extend_from_slice(&self.acc.to_be_bytes());
            self.acc = if rest == 0 { 0 } else { v << (64 - rest) };
            self.fill = rest;
        }
    }

    fn write_uvarint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.write_bits(x & 0x7f | 0x80, 8);
            x >>= 7;
        }
        self.write_bits(x, 8);
    }

    /// Zigzag, as Go's `binary.PutVarint`: small negatives stay short.
    fn write_varint(&mut self, x: i64) {
        self.write_uvarint(((x << 1) ^ (x >> 63)) as u64);
    }

    /// Flushes the last partial word, padded with zeros to a whole byte.
    fn finish(self) {
        let bytes = self.fill.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_be_bytes()[..bytes]);
    }
}

/// Reads bits most significant first, refilling 64 at a time. Past the end
/// it reads zeros: it only reads streams `BitWriter` wrote, whose sample
/// count bounds every read, so that never happens but must not panic.
struct BitReader<'a> {
    bytes: &'a [u8],
    /// Next byte to load into `acc`.
    pos: usize,
    /// Unread bits, left-aligned: the first `avail` high bits are valid.
    acc: u64,
    avail: u32,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> BitReader<'a> {
        BitReader {
            bytes,
            pos: 0,
            acc: 0,
            avail: 0,
        }
    }

    fn read_bit(&mut self) -> bool {
        if self.avail == 0 {
            self.refill();
        }
        let bit = self.acc >> 63 == 1;
        self.acc <<= 1;
        self.avail = self.avail.saturating_sub(1);
        bit
    }

    /// Reads `n` bits (at most 64) as the low bits of the result.
    fn read_bits(&mut self, n: u32) -> u64 {
        debug_assert!(n <= 64);
        if n == 0 {
            return 0;
        }
        if n <= self.avail {
            let v = self.acc >> (64 - n);
            self.acc = self.acc.checked_shl(n).unwrap_or(0);
            self.avail -= n;
            return v;
        }
        // Take what is left of this word, then the rest from the next.
        let head = if self.avail == 0 {
            0
        } else {
            self.acc >> (64 - self.avail)
        };
        let need = n - self.avail;
        self.refill();
        debug_assert!(need <= self.avail, "read past the end of a chunk");
        let tail = self.acc >> (64 - need);
        self.acc = self.acc.checked_shl(need).unwrap_or(0);
        self.avail = self.avail.saturating_sub(need);
        head.checked_shl(need).unwrap_or(0) | tail
    }

    /// Loads the next (up to) 8 bytes; only called with no bits left.
    fn refill(&mut self) {
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        let take = rest.len().min(8);
        let mut word = [0u8; 8];
        word[..take].copy_from_slice(&rest[..take]);
        self.acc = u64::from_be_bytes(word);
        self.pos += take;
        debug_assert!(take > 0, "read past the end of a chunk");
        // Past the end, zeros: 64 of them, so reads stay in bounds.
        self.avail = if take == 0 { 64 } else { take as u32 * 8 };
    }

    fn read_uvarint(&mut self) -> u64 {
        let mut x = 0u64;
        // Ten bytes carry 64 bits; a longer run is not from our writer.
        for shift in (0..70).step_by(7) {
            let b = self.read_bits(8);
            x |= (b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b < 0x80 {
                break;
            }
        }
        x
    }

    fn read_varint(&mut self) -> i64 {
        let u = self.read_uvarint();
        (u >> 1) as i64 ^ -((u & 1) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// Uniform-ish in `0..n`.
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn float(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

    fn regular(n: usize, start: i64, step: i64) -> Vec<i64> {
        (0..n as i64).map(|i| start + i * step).collect()
    }

    fn jittered(n: usize, rng: &mut Rng) -> Vec<i64> {
        let mut t = 1_700_000_000_000i64;
        (0..n)
            .map(|_| {
                t += 15_000 + rng.below(400) as i64 - 200;
                t
            })
            .collect()
    }

    fn counter(n: usize, rng: &mut Rng) -> Vec<f64> {
        let mut v = 1_000_000.0;
        (0..n)
            .map(|_| {
                v += rng.below(100) as f64;
                v
            })
            .collect()
    }

    fn gauge(n: usize, rng: &mut Rng) -> Vec<f64> {
        (0..n).map(|_| rng.float() * 1_000.0).collect()
    }

    /// Encodes, decodes everything, and checks both sides bit for bit.
    fn round_trip(ts: &[i64], vs: &[f64]) -> ChunkedSeries {
        let s = ChunkedSeries::encode(ts, vs);
        assert_eq!(s.len(), ts.len());
        assert_eq!(s.is_empty(), ts.is_empty());
        assert_eq!(
            s.time_range(),
            ts.first().zip(ts.last()).map(|(a, b)| (*a, *b))
        );
        assert_eq!(s.count_in(i64::MIN, i64::MAX), ts.len());
        let (mut got_t, mut got_v) = (Vec::new(), Vec::new());
        s.decode_into(i64::MIN, i64::MAX, &mut got_t, &mut got_v);
        assert_eq!(got_t, ts);
        let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got_v), bits(vs));
        s
    }

    #[test]
    fn regular_scrapes_round_trip() {
        let mut rng = Rng(1);
        let ts = regular(1_440, 1_700_000_000_000, 15_000);
        round_trip(&ts, &counter(ts.len(), &mut rng));
        round_trip(&ts, &gauge(ts.len(), &mut rng));
        round_trip(&ts, &vec![42.0; ts.len()]);
    }

    #[test]
    fn jittered_scrapes_round_trip() {
        let mut rng = Rng(2);
        let ts = jittered(1_000, &mut rng);
        round_trip(&ts, &gauge(ts.len(), &mut rng));
    }

    #[test]
    fn every_delta_of_delta_bucket_round_trips() {
        // Deltas of deltas on both sides of every bucket bound, including
        // the asymmetric top value each bucket admits.
        let mut dods = vec![0i64];
        for nbits in [14, 17, 20] {
            let half = 1i64 << (nbits - 1);
            dods.extend([half, half + 1, -(half - 1), -half, half - 1]);
        }
        dods.extend([1 << 40, -(1 << 40)]);
        let mut ts = vec![0i64, 1 << 41];
        let mut delta = 1i64 << 41;
        for dod in dods {
            delta += dod;
            ts.push(ts[ts.len() - 1] + delta);
        }
        round_trip(&ts, &vec![1.0; ts.len()]);
    }

    #[test]
    fn random_floats_round_trip() {
        // Every bit pattern, NaNs with payloads and subnormals included.
        let mut rng = Rng(3);
        let vs: Vec<f64> = (0..2_000).map(|_| f64::from_bits(rng.next())).collect();
        round_trip(&regular(vs.len(), 0, 1), &vs);
    }

    #[test]
    fn special_values_round_trip_bit_for_bit() {
        let vs = [
            1.0,
            f64::from_bits(STALE_NAN),
            1.0,
            f64::NAN,
            f64::from_bits(STALE_NAN),
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::from_bits(1),
            f64::from_bits(STALE_NAN),
        ];
        let s = round_trip(&regular(vs.len(), 0, 15_000), &vs);
        let (mut ts, mut got) = (Vec::new(), Vec::new());
        s.decode_into(15_000, 15_000, &mut ts, &mut got);
        assert_eq!(got[0].to_bits(), STALE_NAN);
    }

    #[test]
    fn a_single_sample_round_trips() {
        round_trip(&[-5], &[f64::from_bits(STALE_NAN)]);
        round_trip(&[i64::MAX], &[-0.0]);
    }

    #[test]
    fn no_samples_are_an_empty_series() {
        let s = round_trip(&[], &[]);
        assert_eq!(s.count_in(0, 10), 0);
        assert_eq!(s.heap_bytes(), 0);
    }

    #[test]
    fn chunks_are_cut_at_the_sample_limit() {
        let mut rng = Rng(4);
        for n in [119, 120, 121, 239, 240, 241] {
            let ts = regular(n, 0, 15_000);
            let s = round_trip(&ts, &gauge(n, &mut rng));
            assert_eq!(s.chunks.len(), n.div_ceil(SAMPLES_PER_CHUNK));
        }
    }

    #[test]
    fn huge_gaps_and_negative_timestamps_round_trip() {
        let ts = [
            i64::MIN,
            i64::MIN + 1,
            -(1 << 40),
            -15_000,
            -1,
            0,
            1,
            1 << 31,
            (1 << 32) + 7,
            (1 << 33) + 15_000,
            (1 << 33) + 30_000,
            (1 << 33) + 45_000,
            i64::MAX - 1,
            i64::MAX,
        ];
        round_trip(&ts, &vec![3.5; ts.len()]);
        // A first delta wider than i64 (the whole range in one step).
        round_trip(&[i64::MIN, i64::MAX], &[1.0, 2.0]);
        round_trip(&[i64::MIN, 0, i64::MAX], &[1.0, 2.0, 3.0]);
    }

    /// The samples of `ts`/`vs` in `[mint, maxt]`, the slow obvious way.
    fn naive(ts: &[i64], vs: &[f64], mint: i64, maxt: i64) -> (Vec<i64>, Vec<u64>) {
        ts.iter()
            .zip(vs)
            .filter(|&(&t, _)| mint <= t && t <= maxt)
            .map(|(&t, v)| (t, v.to_bits()))
            .unzip()
    }

    #[test]
    fn windows_count_and_decode_what_a_filter_keeps() {
        let mut rng = Rng(5);
        // Gaps between chunks: every 120 samples a long jump.
        let mut gapped = regular(600, 0, 15_000);
        for (i, t) in gapped.iter_mut().enumerate() {
            *t += (i / SAMPLES_PER_CHUNK) as i64 * 10_000_000;
        }
        for ts in [
            regular(500, -3_000_000, 15_000),
            jittered(700, &mut rng),
            gapped,
        ] {
            let vs = gauge(ts.len(), &mut rng);
            let s = ChunkedSeries::encode(&ts, &vs);
            let (lo, hi) = (ts[0], ts[ts.len() - 1]);
            // Chunk bounds exactly, one either side, and random points in
            // and around the series, in both orders (so some are empty).
            let mut points: Vec<i64> = vec![i64::MIN, i64::MAX, lo - 1_000_000, hi + 1_000_000];
            for c in &s.chunks {
                for t in [c.min_t, c.max_t] {
                    points.extend([t - 1, t, t + 1]);
                }
            }
            for _ in 0..60 {
                points.push(lo - 50_000 + rng.below((hi - lo + 100_000) as u64) as i64);
            }
            for _ in 0..3_000 {
                let mint = points[rng.below(points.len() as u64) as usize];
                let maxt = points[rng.below(points.len() as u64) as usize];
                let (want_t, want_v) = naive(&ts, &vs, mint, maxt);
                assert_eq!(s.count_in(mint, maxt), want_t.len(), "[{mint}, {maxt}]");
                // decode_into appends to whatever the vectors hold.
                let (mut got_t, mut got_v) = (vec![7], vec![7.0]);
                s.decode_into(mint, maxt, &mut got_t, &mut got_v);
                assert_eq!(got_t[1..], want_t, "[{mint}, {maxt}]");
                let got_v: Vec<u64> = got_v[1..].iter().map(|v| v.to_bits()).collect();
                assert_eq!(got_v, want_v, "[{mint}, {maxt}]");
            }
        }
    }

    #[test]
    fn bytes_per_sample_of_six_hours_of_scrapes() {
        let mut rng = Rng(6);
        let ts = regular(1_440, 1_700_000_000_000, 15_000);
        let per_sample =
            |vs: &[f64]| ChunkedSeries::encode(&ts, vs).heap_bytes() as f64 / ts.len() as f64;
        let counter = per_sample(&counter(ts.len(), &mut rng));
        let gauge = per_sample(&gauge(ts.len(), &mut rng));
        let constant = per_sample(&vec![1.0; ts.len()]);
        println!(
            "bytes/sample, 1,440 scrapes at 15 s, headers included: \
             counter {counter:.3}, random gauge {gauge:.3}, constant {constant:.3}"
        );
        // Against 16 bytes decoded. A counter growing by a varying amount
        // changes a dozen mantissa bits a scrape and often moves the XOR
        // window (13 bits to restate it), so it lands above 2; a random
        // gauge changes nearly all 52 and compresses little, in Prometheus
        // as here.
        assert!(constant < 1.0, "constant: {constant} bytes/sample");
        assert!(counter < 3.0, "counter: {counter} bytes/sample");
        assert!(gauge < 9.0, "random gauge: {gauge} bytes/sample");
    }
}
