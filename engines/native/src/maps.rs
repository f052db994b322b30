//! The process's memory mappings as the kernel reports them
//! (`/proc/self/maps`), for checking W^X from the outside: no mapping may
//! be writable and executable at once.

/// One line of `/proc/self/maps`: the range and its permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub start: usize,
    pub end: usize,
    /// e.g. `r-xp`.
    pub perms: String,
    /// The backing file or `[heap]`, `[stack]`, ...; empty for anonymous.
    pub name: String,
}

impl Mapping {
    pub fn writable_and_executable(&self) -> bool {
        self.perms.contains('w') && self.perms.contains('x')
    }

    pub fn contains(&self, addr: usize) -> bool {
        addr >= self.start && addr < self.end
    }
}

/// Parses `/proc/self/maps`-formatted text.
pub fn parse(text: &str) -> Vec<Mapping> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (range, perms) = (fields.next()?, fields.next()?);
            let (start, end) = range.split_once('-')?;
            let name = fields.nth(3).unwrap_or("").to_string();
            Some(Mapping {
                start: usize::from_str_radix(start, 16).ok()?,
                end: usize::from_str_radix(end, 16).ok()?,
                perms: perms.to_string(),
                name,
            })
        })
        .collect()
}

/// The current mappings of this process (empty where `/proc` is missing).
pub fn current() -> Vec<Mapping> {
    std::fs::read_to_string("/proc/self/maps").map(|t| parse(&t)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernel_format() {
        let m = parse(
            "7f0000000000-7f0000001000 r-xp 00000000 00:00 0 \n\
             55d0c0000000-55d0c0021000 rw-p 00000000 00:00 0                          [heap]\n\
             7f0000002000-7f0000003000 rwxp 00000000 00:00 0\n",
        );
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].start, m[0].end, m[0].perms.as_str()), (0x7f00_0000_0000, 0x7f00_0000_1000, "r-xp"));
        assert_eq!(m[1].name, "[heap]");
        assert!(!m[0].writable_and_executable() && m[2].writable_and_executable());
        assert!(m[0].contains(0x7f00_0000_0fff) && !m[0].contains(0x7f00_0000_1000));
    }
}
