//! Active content in a PDF: JavaScript (document, page and field actions, 3D
//! annotations), launch and remote go-to actions, embedded files, rich media (Flash), XFA
//! forms, form submission and import. Each is a name in an object's dictionary (`/JS`,
//! `/Launch`, `/EmbeddedFiles`…), so the check reads every object's names, decoded as
//! readers decode them (`/Java#53cript` is `/JavaScript`), wherever the object is:
//!
//! - objects are found by their `obj` keyword anywhere in the file, not through the
//!   cross-reference table, which an attacker writes: a reader repairing a file finds
//!   objects the same way, and an object hidden inside another one's stream data is
//!   still found;
//! - each object is parsed as pdf.js parses it (same tokens, same two-token look-ahead,
//!   same tolerance of malformed dictionaries), so what is a name, a string or a stream
//!   is what a reader sees, and a URL in a string (`(https://x/JS)`) is not taken for a
//!   name;
//! - object streams (PDF 1.5: objects packed in a compressed stream) are inflated within
//!   [`INFLATE_BUDGET`], their objects parsed at the offsets their header gives (where a
//!   reader parses them). One in an encoding not decoded here, or whose inflated size is
//!   beyond the budget, is refused rather than accepted unread; so is an encrypted file
//!   with object streams (their content cannot be read without the key).
//!
//! Page content, images and fonts are not read: they cannot hold actions. The parsing work
//! is bounded too (twice the file's size), so a file crafted to make the parser go over the
//! same bytes again and again is refused in linear time.

use std::collections::HashMap;
use std::io::Read;

use memchr::memmem;

use super::{reason, Refused};

/// Bytes all object streams of a file may inflate to. Real ones hold a few KB to a few
/// MB of dictionaries; a compression bomb stops here.
const INFLATE_BUDGET: u64 = 16 * 1024 * 1024;

/// Nesting of arrays and dictionaries beyond which the file is not a real PDF (PDFium's
/// parser stops at the same depth).
const MAX_DEPTH: usize = 64;

/// Refuses `bytes` (a PDF) when it carries active content.
pub(super) fn check(bytes: &[u8]) -> Result<(), Refused> {
    let mut scan = Scan::new(bytes);
    let headers = keyword_positions(bytes, b"obj");
    for &(at, end) in &headers {
        if let Some(key) = object_number(bytes, at) {
            scan.index.insert(key, end);
        }
    }
    for &(_, end) in &headers {
        scan.object_at(end)?;
        scan.verdict()?;
    }
    for (_, end) in keyword_positions(bytes, b"trailer") {
        scan.parse_at(bytes, end)?;
        scan.verdict()?;
    }
    if scan.seen.encrypted && !scan.object_streams.is_empty() {
        return Err(Refused::because(reason::PDF_ENCRYPTED));
    }
    for stream in std::mem::take(&mut scan.object_streams) {
        scan.object_stream(&stream)?;
        scan.verdict()?;
    }
    Ok(())
}

/// The reason a name makes a PDF refused, if it does.
fn forbidden(name: &[u8]) -> Option<&'static str> {
    match name {
        // OnInstantiate: the script of a 3D annotation.
        b"JavaScript" | b"JS" | b"OnInstantiate" => Some(reason::PDF_JAVASCRIPT),
        b"Launch" | b"GoToR" | b"GoToE" => Some(reason::PDF_LAUNCH),
        // EF: the embedded file stream of a file specification (an attachment
        // annotation's, a portfolio's).
        b"EmbeddedFile" | b"EmbeddedFiles" | b"EF" => Some(reason::PDF_EMBEDDED_FILE),
        b"XFA" => Some(reason::PDF_XFA),
        b"SubmitForm" | b"ImportData" => Some(reason::PDF_FORM_ACTION),
        _ if name.starts_with(b"RichMedia") => Some(reason::PDF_RICH_MEDIA),
        _ => None,
    }
}

/// What the names read so far say.
#[derive(Default)]
struct Seen {
    /// The first forbidden name's reason.
    reason: Option<&'static str>,
    /// An `/Encrypt` entry (trailer or cross-reference stream).
    encrypted: bool,
}

impl Seen {
    fn name(&mut self, name: &[u8]) {
        if self.reason.is_none() {
            self.reason = forbidden(name);
        }
        if name == b"Encrypt" {
            self.encrypted = true;
        }
    }
}

/// An object stream found, to inflate once every object has been read.
struct ObjectStream {
    /// Its data in the file.
    start: usize,
    end: usize,
    filter: Filter,
    /// `/N` and `/First`, when they are integers.
    count: Option<i64>,
    first: Option<i64>,
}

enum Filter {
    None,
    Flate,
    /// Anything else: not decoded here, so refused.
    Other,
}

struct Scan<'a> {
    bytes: &'a [u8],
    /// Where each object's value starts, by number and generation; a later definition
    /// (an incremental update) replaces an earlier one, as in readers.
    index: HashMap<(i64, i64), usize>,
    seen: Seen,
    object_streams: Vec<ObjectStream>,
    /// Bytes the parser may still go over: twice the file and the inflate budget, which a
    /// real file never needs (each object is parsed once).
    work_left: usize,
    inflate_left: u64,
}

impl<'a> Scan<'a> {
    fn new(bytes: &'a [u8]) -> Scan<'a> {
        Scan {
            bytes,
            index: HashMap::new(),
            seen: Seen::default(),
            object_streams: Vec::new(),
            work_left: 2 * bytes.len() + 2 * INFLATE_BUDGET as usize + (1 << 20),
            inflate_left: INFLATE_BUDGET,
        }
    }

    fn verdict(&self) -> Result<(), Refused> {
        match self.seen.reason {
            Some(reason) => Err(Refused::because(reason)),
            None => Ok(()),
        }
    }

    /// One value parsed from `data` at `at`, its names noted.
    fn parse_at(&mut self, data: &'a [u8], at: usize) -> Result<Obj, Refused> {
        let end = data.len().min(at.saturating_add(self.work_left));
        let mut parser = Parser::new(
            Lexer {
                bytes: &data[..end],
                pos: at.min(end),
            },
            &mut self.seen,
        );
        let value = parser.get_obj(0)?;
        let used = parser.lexer.pos.saturating_sub(at);
        let cut = parser.lexer.pos >= end && end < data.len();
        self.work_left = self.work_left.saturating_sub(used);
        if cut {
            return Err(Refused::because(reason::PDF_UNINSPECTABLE));
        }
        Ok(value)
    }

    /// The object whose value starts at `at` (just after an `obj` keyword).
    fn object_at(&mut self, at: usize) -> Result<(), Refused> {
        let Obj::Stream(dict, after_keyword) = self.parse_at(self.bytes, at)? else {
            return Ok(());
        };
        let is_object_stream = matches!(get(&dict, b"Type"), Some(Obj::Name(n)) if n == b"ObjStm")
            || (get(&dict, b"N").is_some() && get(&dict, b"First").is_some());
        if !is_object_stream {
            return Ok(());
        }
        let start = data_start(self.bytes, after_keyword);
        let length = self.int(get(&dict, b"Length"))?;
        let end = self.stream_end(start, length);
        let filter = self.filter(&dict)?;
        let count = self.int(get(&dict, b"N"))?;
        let first = self.int(get(&dict, b"First"))?;
        self.object_streams.push(ObjectStream {
            start,
            end,
            filter,
            count,
            first,
        });
        Ok(())
    }

    /// An integer, direct or through a reference (one level, as `/Length 12 0 R`).
    fn int(&mut self, value: Option<&Obj>) -> Result<Option<i64>, Refused> {
        Ok(match self.resolve(value)? {
            Some(Obj::Int(n)) => Some(n),
            _ => None,
        })
    }

    /// `value`, its referenced object when it is a reference.
    fn resolve(&mut self, value: Option<&Obj>) -> Result<Option<Obj>, Refused> {
        match value {
            Some(Obj::Ref(number, generation)) => match self.index.get(&(*number, *generation)) {
                Some(&at) => self.parse_at(self.bytes, at).map(Some),
                None => Ok(None),
            },
            Some(other) => Ok(Some(other.clone())),
            None => Ok(None),
        }
    }

    /// Where a stream's data ends: after `/Length` bytes when `endstream` follows there
    /// (what readers check), otherwise at the next `endstream`, as they then do.
    fn stream_end(&self, start: usize, length: Option<i64>) -> usize {
        let bytes = self.bytes;
        if let Some(end) = length
            .and_then(|l| usize::try_from(l).ok())
            .and_then(|l| start.checked_add(l))
            .filter(|&end| end <= bytes.len())
        {
            let after = bytes[end..]
                .iter()
                .position(|&b| !is_white(b))
                .map_or(bytes.len(), |at| end + at);
            if bytes[after..].starts_with(b"endstream") {
                return end;
            }
        }
        memmem::find(&bytes[start..], b"endstream").map_or(bytes.len(), |at| start + at)
    }

    /// How an object stream is encoded: only Flate without a predictor (what every
    /// writer uses) is decoded.
    fn filter(&mut self, dict: &[(Vec<u8>, Obj)]) -> Result<Filter, Refused> {
        let filters = match self.resolve(get(dict, b"Filter"))? {
            None | Some(Obj::Other) => Vec::new(),
            Some(Obj::Name(name)) => vec![Obj::Name(name)],
            Some(Obj::Array(items)) => items,
            Some(_) => return Ok(Filter::Other),
        };
        let parms = self.resolve(get(dict, b"DecodeParms"))?;
        let predictor = match &parms {
            Some(Obj::Dict(parms)) => get(parms, b"Predictor").cloned(),
            Some(Obj::Array(items)) => items.iter().find_map(|p| match p {
                Obj::Dict(parms) => get(parms, b"Predictor").cloned(),
                _ => None,
            }),
            _ => None,
        };
        if !matches!(predictor, None | Some(Obj::Int(1))) {
            return Ok(Filter::Other);
        }
        Ok(match filters.as_slice() {
            [] => Filter::None,
            [Obj::Name(name)] if name == b"FlateDecode" || name == b"Fl" => Filter::Flate,
            _ => Filter::Other,
        })
    }

    /// The objects of an object stream, parsed where readers parse them.
    fn object_stream(&mut self, stream: &ObjectStream) -> Result<(), Refused> {
        let raw = &self.bytes[stream.start..stream.end.max(stream.start)];
        let data: Vec<u8> = match stream.filter {
            Filter::None => raw.to_vec(),
            Filter::Flate => self.inflate(raw)?,
            Filter::Other => return Err(Refused::because(reason::PDF_UNINSPECTABLE)),
        };
        // The decoded data lives in this call, not as long as the file: it is parsed by a
        // scan of its own, which carries on with this one's findings and parsing budget.
        let mut inner = Scan {
            bytes: &data,
            index: HashMap::new(),
            seen: std::mem::take(&mut self.seen),
            object_streams: Vec::new(),
            work_left: self.work_left,
            inflate_left: 0,
        };
        let result = inner.objects_of_stream(stream.count, stream.first);
        self.seen = std::mem::take(&mut inner.seen);
        self.work_left = inner.work_left;
        result
    }

    /// `self.bytes` is an object stream's decoded data: its header's (number, offset)
    /// pairs, then each object at `first` + offset. A header that cannot be read (no
    /// integer `/N` or `/First`) makes readers fail; every token is then read in turn.
    fn objects_of_stream(&mut self, count: Option<i64>, first: Option<i64>) -> Result<(), Refused> {
        let data = self.bytes;
        let header = match (count, first) {
            (Some(count), Some(first)) if count >= 0 && first >= 0 => {
                let mut parser = Parser::new(
                    Lexer {
                        bytes: data,
                        pos: 0,
                    },
                    &mut self.seen,
                );
                let mut offsets = Vec::new();
                for _ in 0..count {
                    match (parser.get_obj(0)?, parser.get_obj(0)?) {
                        (Obj::Int(_), Obj::Int(offset)) => offsets.push(offset),
                        _ => break,
                    }
                }
                let used = parser.lexer.pos;
                self.work_left = self.work_left.saturating_sub(used);
                Some((first, offsets))
            }
            _ => None,
        };
        match header {
            Some((first, offsets)) => {
                for offset in offsets {
                    let at = usize::try_from(first.saturating_add(offset)).unwrap_or(usize::MAX);
                    if at < data.len() {
                        self.parse_at(data, at)?;
                    }
                }
            }
            None => {
                let mut lexer = Lexer {
                    bytes: data,
                    pos: 0,
                };
                while let Some(token) = lexer.next() {
                    if let Token::Name(name) = token {
                        self.seen.name(&name);
                    }
                }
            }
        }
        Ok(())
    }

    /// A Flate stream inflated within the budget left; data past a corrupt point is what
    /// readers cannot read either, so what came before it is kept.
    fn inflate(&mut self, raw: &[u8]) -> Result<Vec<u8>, Refused> {
        let limit = self.inflate_left.saturating_add(1);
        let mut out = Vec::new();
        let zlib = flate2::read::ZlibDecoder::new(raw)
            .take(limit)
            .read_to_end(&mut out);
        if zlib.is_err() && out.is_empty() {
            // Some writers omit the zlib header; some readers accept raw deflate.
            let _ = flate2::read::DeflateDecoder::new(raw)
                .take(limit)
                .read_to_end(&mut out);
            if out.is_empty() {
                return Err(Refused::because(reason::PDF_UNINSPECTABLE));
            }
        }
        let size = out.len() as u64;
        if size > self.inflate_left {
            return Err(Refused::because(reason::PDF_TOO_LARGE));
        }
        self.inflate_left -= size;
        Ok(out)
    }
}

/// Ends of `keyword` where it stands as a token: (start, end). An `obj` may follow a
/// digit without a space (`1 0obj`, which pdf.js reads).
fn keyword_positions(bytes: &[u8], keyword: &[u8]) -> Vec<(usize, usize)> {
    memmem::find_iter(bytes, keyword)
        .filter(|&at| {
            let before = at
                .checked_sub(1)
                .map(|i| bytes[i])
                .is_none_or(|b| !is_regular(b) || b.is_ascii_digit());
            let after = bytes
                .get(at + keyword.len())
                .is_none_or(|&b| !is_regular(b));
            before && after
        })
        .map(|at| (at, at + keyword.len()))
        .collect()
}

/// The "number generation" before an `obj` keyword at `at`.
fn object_number(bytes: &[u8], at: usize) -> Option<(i64, i64)> {
    let mut i = at;
    while i > 0 && is_white(bytes[i - 1]) {
        i -= 1;
    }
    let generation_end = i;
    while i > 0 && bytes[i - 1].is_ascii_digit() {
        i -= 1;
    }
    let generation = parse_int(&bytes[i..generation_end])?;
    let space_end = i;
    while i > 0 && is_white(bytes[i - 1]) {
        i -= 1;
    }
    if i == space_end {
        return None;
    }
    let number_end = i;
    while i > 0 && bytes[i - 1].is_ascii_digit() {
        i -= 1;
    }
    Some((parse_int(&bytes[i..number_end])?, generation))
}

fn parse_int(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Where a stream's data starts: after the end of the line of its `stream` keyword
/// (pdf.js's `skipToNextLine`).
fn data_start(bytes: &[u8], after_keyword: usize) -> usize {
    let rest = &bytes[after_keyword.min(bytes.len())..];
    match memchr::memchr2(b'\r', b'\n', rest) {
        Some(at) => {
            let eol = after_keyword + at;
            if bytes[eol] == b'\r' && bytes.get(eol + 1) == Some(&b'\n') {
                eol + 2
            } else {
                eol + 1
            }
        }
        None => bytes.len(),
    }
}

fn is_white(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delimiter(b)
}

/// A name's bytes with its `#xx` escapes decoded (an invalid one kept as is, as readers
/// do).
fn decode_name(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'#' {
            if let (Some(h), Some(l)) = (
                raw.get(i + 1).and_then(|&b| hex(b)),
                raw.get(i + 2).and_then(|&b| hex(b)),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Name(Vec<u8>),
    Int(i64),
    /// A keyword, a real number, `true`, `R`, `stream`… or a stray delimiter.
    Keyword(&'a [u8]),
    /// A literal or hexadecimal string: its content is never a name.
    Str,
    DictOpen,
    DictClose,
    ArrayOpen,
    ArrayClose,
    Eof,
}

/// PDF tokens (ISO 32000 7.2), as pdf.js's lexer reads them.
struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Option<Token<'a>> {
        let bytes = self.bytes;
        loop {
            while self.pos < bytes.len() && is_white(bytes[self.pos]) {
                self.pos += 1;
            }
            if bytes.get(self.pos) != Some(&b'%') {
                break;
            }
            self.pos = memchr::memchr2(b'\r', b'\n', &bytes[self.pos..])
                .map_or(bytes.len(), |at| self.pos + at);
        }
        let start = self.pos;
        let &b = bytes.get(start)?;
        let token = match b {
            b'/' => {
                let end = bytes[start + 1..]
                    .iter()
                    .position(|&b| !is_regular(b))
                    .map_or(bytes.len(), |at| start + 1 + at);
                self.pos = end;
                return Some(Token::Name(decode_name(&bytes[start + 1..end])));
            }
            b'(' => {
                let mut depth = 0usize;
                let mut i = start;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                self.pos = (i + 1).min(bytes.len());
                return Some(Token::Str);
            }
            b'<' if bytes.get(start + 1) == Some(&b'<') => {
                self.pos = start + 2;
                Token::DictOpen
            }
            b'<' => {
                self.pos =
                    memchr::memchr(b'>', &bytes[start..]).map_or(bytes.len(), |at| start + at + 1);
                return Some(Token::Str);
            }
            b'>' if bytes.get(start + 1) == Some(&b'>') => {
                self.pos = start + 2;
                Token::DictClose
            }
            b'[' => {
                self.pos = start + 1;
                Token::ArrayOpen
            }
            b']' => {
                self.pos = start + 1;
                Token::ArrayClose
            }
            _ if is_delimiter(b) => {
                self.pos = start + 1;
                Token::Keyword(&bytes[start..start + 1])
            }
            _ => {
                let end = bytes[start..]
                    .iter()
                    .position(|&b| !is_regular(b))
                    .map_or(bytes.len(), |at| start + at);
                self.pos = end;
                let word = &bytes[start..end];
                let digits = word.strip_prefix(b"+").unwrap_or(word);
                let (negative, digits) = match digits.strip_prefix(b"-") {
                    Some(d) => (true, d),
                    None => (false, digits),
                };
                match parse_int(digits).filter(|_| digits.iter().all(u8::is_ascii_digit)) {
                    Some(n) => return Some(Token::Int(if negative { -n } else { n })),
                    None => return Some(Token::Keyword(word)),
                }
            }
        };
        Some(token)
    }
}

/// A parsed value: what the checks need, the rest as [`Obj::Other`].
#[derive(Debug, Clone)]
enum Obj {
    Dict(Vec<(Vec<u8>, Obj)>),
    /// A stream's dictionary, and where its `stream` keyword ends.
    Stream(Vec<(Vec<u8>, Obj)>, usize),
    Array(Vec<Obj>),
    Name(Vec<u8>),
    Int(i64),
    Ref(i64, i64),
    Other,
}

/// A dictionary's entry; the last one wins when a key repeats (pdf.js's `Dict.set`).
fn get<'o>(dict: &'o [(Vec<u8>, Obj)], key: &[u8]) -> Option<&'o Obj> {
    dict.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// pdf.js's `Parser.getObj`: two tokens of look-ahead, a reference read as `n g R`, a
/// dictionary key that is not a name skipped, a dictionary followed by `stream` a stream.
/// Every name read is noted, the look-ahead's too.
struct Parser<'a, 's> {
    lexer: Lexer<'a>,
    buf1: Token<'a>,
    buf2: Token<'a>,
    /// Where the lexer stood before `buf2` was read: a stream keyword's end.
    buf2_end: usize,
    seen: &'s mut Seen,
}

impl<'a, 's> Parser<'a, 's> {
    fn new(lexer: Lexer<'a>, seen: &'s mut Seen) -> Parser<'a, 's> {
        let mut parser = Parser {
            lexer,
            buf1: Token::Eof,
            buf2: Token::Eof,
            buf2_end: 0,
            seen,
        };
        parser.shift();
        parser.shift();
        parser
    }

    fn shift(&mut self) {
        let next = self.lexer.next().unwrap_or(Token::Eof);
        if let Token::Name(name) = &next {
            self.seen.name(name);
        }
        self.buf1 = std::mem::replace(&mut self.buf2, next);
        self.buf2_end = self.lexer.pos;
    }

    fn get_obj(&mut self, depth: usize) -> Result<Obj, Refused> {
        if depth > MAX_DEPTH {
            return Err(Refused::because(reason::PDF_UNINSPECTABLE));
        }
        let token = std::mem::replace(&mut self.buf1, Token::Eof);
        self.shift();
        Ok(match token {
            Token::ArrayOpen => {
                let mut items = Vec::new();
                while !matches!(self.buf1, Token::ArrayClose | Token::Eof) {
                    items.push(self.get_obj(depth + 1)?);
                }
                if self.buf1 == Token::ArrayClose {
                    self.shift();
                }
                Obj::Array(items)
            }
            Token::DictOpen => {
                let mut entries = Vec::new();
                while !matches!(self.buf1, Token::DictClose | Token::Eof) {
                    let Token::Name(key) = std::mem::replace(&mut self.buf1, Token::Eof) else {
                        self.shift();
                        continue;
                    };
                    self.shift();
                    if self.buf1 == Token::Eof {
                        break;
                    }
                    let value = self.get_obj(depth + 1)?;
                    entries.push((key, value));
                }
                if self.buf1 == Token::Eof {
                    return Ok(Obj::Dict(entries));
                }
                if self.buf2 == Token::Keyword(b"stream") {
                    return Ok(Obj::Stream(entries, self.buf2_end));
                }
                self.shift();
                Obj::Dict(entries)
            }
            Token::Int(number) => {
                if let (Token::Int(generation), Token::Keyword(b"R")) = (&self.buf1, &self.buf2) {
                    let generation = *generation;
                    self.shift();
                    self.shift();
                    Obj::Ref(number, generation)
                } else {
                    Obj::Int(number)
                }
            }
            Token::Name(name) => Obj::Name(name),
            _ => Obj::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::samples::{pdf_document, pdf_stream};
    use super::*;

    fn verdict(bytes: &[u8]) -> Result<(), &'static str> {
        check(bytes).map_err(|Refused(r)| {
            [
                reason::PDF_JAVASCRIPT,
                reason::PDF_LAUNCH,
                reason::PDF_EMBEDDED_FILE,
                reason::PDF_RICH_MEDIA,
                reason::PDF_XFA,
                reason::PDF_FORM_ACTION,
                reason::PDF_UNINSPECTABLE,
                reason::PDF_TOO_LARGE,
                reason::PDF_ENCRYPTED,
            ]
            .into_iter()
            .find(|known| *known == r)
            .unwrap_or_else(|| panic!("unexpected reason {r}"))
        })
    }

    fn with_catalog(extra: &str) -> Vec<u8> {
        pdf_document(&[
            format!("<< /Type /Catalog /Pages 2 0 R {extra} >>").into_bytes(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_vec(),
        ])
    }

    #[test]
    fn names_of_active_content_are_refused_however_written() {
        for (extra, expected) in [
            (
                "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
                reason::PDF_JAVASCRIPT,
            ),
            (
                "/OpenAction<</S/Java#53cript/J#53(x)>>",
                reason::PDF_JAVASCRIPT,
            ),
            (
                "/AA << /O << /S /Launch /F (calc.exe) >> >>",
                reason::PDF_LAUNCH,
            ),
            (
                "/OpenAction << /S /GoToR /F (\\\\\\\\evil\\\\x.pdf) >>",
                reason::PDF_LAUNCH,
            ),
            (
                "/Names << /EmbeddedFiles 9 0 R >>",
                reason::PDF_EMBEDDED_FILE,
            ),
            ("/AcroForm << /XFA 9 0 R >>", reason::PDF_XFA),
            (
                "/OpenAction << /S /SubmitForm /F (http://x) >>",
                reason::PDF_FORM_ACTION,
            ),
            (
                "/OpenAction << /S /ImportData /F (x.fdf) >>",
                reason::PDF_FORM_ACTION,
            ),
            ("/X << /Subtype /RichMedia >>", reason::PDF_RICH_MEDIA),
        ] {
            assert_eq!(verdict(&with_catalog(extra)), Err(expected), "{extra}");
        }
    }

    #[test]
    fn inert_content_is_accepted() {
        for extra in [
            // A link, an opening view, text that merely mentions the names.
            "/OpenAction [3 0 R /Fit] /URI << /Base (https://example.org/JS/) >>",
            "/Title (See /JavaScript and /Launch in the manual) /Lang (fr-FR)",
            "/Comment <2F4A53> % a comment: /JavaScript\n",
        ] {
            assert_eq!(verdict(&with_catalog(extra)), Ok(()), "{extra}");
        }
        assert_eq!(verdict(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"), Ok(()));
        assert_eq!(verdict(b"%PDF-1.4\n%%EOF\n"), Ok(()));
    }

    #[test]
    fn stream_data_is_not_read_as_names() {
        // An image whose bytes happen to spell names: not an object stream, not read.
        let pdf = pdf_document(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
            pdf_stream(
                "/Type /XObject /Subtype /Image",
                b"\xff/JS /Launch (x) /EF\x00",
            ),
        ]);
        assert_eq!(verdict(&pdf), Ok(()));
    }

    #[test]
    fn object_streams_are_read_whatever_their_dictionary_says() {
        let objects = b"4 0 << /S /JavaScript /JS (app.alert(1)) >>";
        for dict in [
            "/Type /ObjStm /N 1 /First 4",
            // No /Type (pdf.js does not ask for one), an indirect length, an image's key.
            "/N 1 /First 4 /Subtype /Image",
        ] {
            let pdf = pdf_document(&[
                b"<< /Type /Catalog /OpenAction 4 0 R >>".to_vec(),
                pdf_stream(&format!("{dict} /Filter /FlateDecode"), &deflate(objects)),
            ]);
            assert_eq!(verdict(&pdf), Err(reason::PDF_JAVASCRIPT), "{dict}");
        }
        // Uncompressed, indirect length.
        let pdf = pdf_document(&[
            b"<< /Type /Catalog >>".to_vec(),
            b"<< /Type /ObjStm /N 1 /First 4 /Length 3 0 R >>\nstream\n4 0 <</S/JavaScript>>\nendstream"
                .to_vec(),
            b"21".to_vec(),
        ]);
        assert_eq!(verdict(&pdf), Err(reason::PDF_JAVASCRIPT));
    }

    #[test]
    fn object_streams_that_cannot_be_read_are_refused() {
        let objects = b"4 0 << /Type /Annot >>";
        for (dict, data, expected) in [
            (
                "/Filter /LZWDecode",
                objects.to_vec(),
                reason::PDF_UNINSPECTABLE,
            ),
            (
                "/Filter [/ASCIIHexDecode /FlateDecode]",
                objects.to_vec(),
                reason::PDF_UNINSPECTABLE,
            ),
            (
                "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>",
                deflate(objects),
                reason::PDF_UNINSPECTABLE,
            ),
            (
                "/Filter /FlateDecode",
                b"not zlib at all".to_vec(),
                reason::PDF_UNINSPECTABLE,
            ),
        ] {
            let pdf = pdf_document(&[
                b"<< /Type /Catalog >>".to_vec(),
                pdf_stream(&format!("/Type /ObjStm /N 1 /First 4 {dict}"), &data),
            ]);
            assert_eq!(verdict(&pdf), Err(expected), "{dict}");
        }
        // Encrypted: the object stream's content cannot be read without the key.
        let mut pdf = pdf_document(&[
            b"<< /Type /Catalog >>".to_vec(),
            pdf_stream(
                "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                &deflate(objects),
            ),
        ]);
        pdf.extend_from_slice(b"trailer << /Encrypt 9 0 R >>\n");
        assert_eq!(verdict(&pdf), Err(reason::PDF_ENCRYPTED));
    }

    #[test]
    fn an_inflate_bomb_in_an_object_stream_is_refused_quickly() {
        let bomb = deflate(&vec![b' '; 20 * 1024 * 1024]);
        let pdf = pdf_document(&[
            b"<< /Type /Catalog >>".to_vec(),
            pdf_stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &bomb),
        ]);
        let started = std::time::Instant::now();
        assert_eq!(verdict(&pdf), Err(reason::PDF_TOO_LARGE));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn deep_nesting_and_endless_strings_are_bounded() {
        let deep = format!("%PDF-1.7\n1 0 obj {} endobj", "[".repeat(10_000));
        assert_eq!(verdict(deep.as_bytes()), Err(reason::PDF_UNINSPECTABLE));
        // Every `obj` opening a string that runs to the end: quadratic without the budget.
        let mut tangled = b"%PDF-1.7\n".to_vec();
        tangled.extend(b" obj (".repeat(400_000));
        let started = std::time::Instant::now();
        assert_eq!(verdict(&tangled), Err(reason::PDF_UNINSPECTABLE));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn tokens_are_read_as_pdf_js_reads_them() {
        let mut seen = Seen::default();
        let mut parser = Parser::new(
            Lexer {
                bytes: b"<< /A 1 0 R /B [1 2] /#4A#53 (a(b)c\\) /No) /C <414243> >>",
                pos: 0,
            },
            &mut seen,
        );
        let Ok(Obj::Dict(entries)) = parser.get_obj(0) else {
            panic!("a dictionary");
        };
        assert!(matches!(get(&entries, b"A"), Some(Obj::Ref(1, 0))));
        assert!(matches!(get(&entries, b"JS"), Some(Obj::Other)));
        assert!(matches!(get(&entries, b"C"), Some(Obj::Other)));
        assert_eq!(seen.reason, Some(reason::PDF_JAVASCRIPT));
        assert_eq!(decode_name(b"Java#53cript#zz#4"), b"JavaScript#zz#4");
        assert_eq!(object_number(b"12 0 obj", 5), Some((12, 0)));
        assert_eq!(object_number(b"12 0obj", 4), Some((12, 0)));
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(data)
            .unwrap_or_else(|e| panic!("deflate: {e}"));
        encoder.finish().unwrap_or_else(|e| panic!("deflate: {e}"))
    }
}
