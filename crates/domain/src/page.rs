//! Pagination: which slice of a list a caller asked for, and what came back.

use crate::ValidationError;

/// The default and the largest page size of every list.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

/// A validated `?page=N&page_size=M`: both at least 1, the size clamped to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    size: u32,
}

impl PageRequest {
    /// Page numbers and sizes below 1 are errors; sizes above the maximum are clamped.
    pub fn new(page: Option<i64>, size: Option<i64>) -> Result<Self, ValidationError> {
        let page = match page {
            None => 1,
            Some(p) if p >= 1 => u32::try_from(p)
                .map_err(|_| ValidationError::new("page", "Page number is too large."))?,
            Some(_) => {
                return Err(ValidationError::new(
                    "page",
                    "Ensure this value is greater than or equal to 1.",
                ));
            }
        };
        let size = match size {
            None => DEFAULT_PAGE_SIZE,
            Some(s) if s >= 1 => {
                u32::try_from(s.min(i64::from(MAX_PAGE_SIZE))).unwrap_or(MAX_PAGE_SIZE)
            }
            Some(_) => {
                return Err(ValidationError::new(
                    "page_size",
                    "Ensure this value is greater than or equal to 1.",
                ));
            }
        };
        Ok(Self { page, size })
    }

    pub fn first() -> Self {
        Self {
            page: 1,
            size: DEFAULT_PAGE_SIZE,
        }
    }

    pub fn page(&self) -> u32 {
        self.page
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.size)
    }

    pub fn limit(&self) -> u64 {
        u64::from(self.size)
    }

    /// Applies this page to an already filtered and ordered list.
    pub fn slice<T>(&self, items: Vec<T>) -> Page<T> {
        let total = items.len() as u64;
        let items = items
            .into_iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(self.size as usize)
            .collect();
        Page { total, items }
    }
}

/// One page of a list and the number of items in the whole list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub total: u64,
    pub items: Vec<T>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            total: self.total,
            items: self.items.into_iter().map(f).collect(),
        }
    }

    pub fn has_next(&self, request: &PageRequest) -> bool {
        request.offset() + request.limit() < self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_clamping() {
        let p = PageRequest::new(None, None).unwrap();
        assert_eq!((p.page(), p.size()), (1, 20));
        let p = PageRequest::new(Some(3), Some(1000)).unwrap();
        assert_eq!((p.page(), p.size(), p.offset()), (3, 100, 200));
    }

    #[test]
    fn below_one_is_an_error() {
        assert_eq!(PageRequest::new(Some(0), None).unwrap_err().field, "page");
        assert_eq!(
            PageRequest::new(None, Some(0)).unwrap_err().field,
            "page_size"
        );
        assert!(PageRequest::new(Some(-5), None).is_err());
    }

    #[test]
    fn slicing_past_the_end_is_empty() {
        let p = PageRequest::new(Some(3), Some(2)).unwrap();
        let page = p.slice(vec![1, 2, 3, 4]);
        assert_eq!(page.total, 4);
        assert!(page.items.is_empty());
        let p = PageRequest::new(Some(2), Some(3)).unwrap();
        assert_eq!(p.slice(vec![1, 2, 3, 4]).items, vec![4]);
    }
}
