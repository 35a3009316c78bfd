//! `?page=N&page_size=M` parsing and the paginated list shape
//! `{"count", "next", "previous", "results"}` with absolute links that keep the
//! request's other query parameters.

use actix_web::HttpRequest;
use gatherhub_domain::{FieldErrors, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiError;

/// Pagination parameters; the rest of the query string is the route's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number (default 1).
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
    /// Items per page (default 20; values above 100 are clamped to 100).
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page_size: Option<String>,
}

impl PageQuery {
    /// Numbers below 1 or not numbers at all are 400 `validation_error`.
    pub fn to_request(&self) -> Result<PageRequest, ApiError> {
        let mut errors = FieldErrors::new();
        let page = parse_number(&mut errors, "page", self.page.as_deref());
        let size = parse_number(&mut errors, "page_size", self.page_size.as_deref());
        errors.into_result()?;
        Ok(PageRequest::new(page, size)?)
    }
}

fn parse_number(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<i64> {
    let value = value?.trim();
    match value.parse::<i64>() {
        Ok(number) => Some(number),
        // Larger than i64 but numeric: treat as "very large", clamped later.
        Err(_) if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) => Some(i64::MAX),
        Err(_) => {
            errors.add(field, "A valid integer is required.");
            None
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T> {
    /// Items in the whole (filtered) list.
    pub count: u64,
    /// Absolute URL of the next page, or null.
    pub next: Option<String>,
    /// Absolute URL of the previous page, or null.
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T> Paginated<T> {
    pub fn new<U>(
        req: &HttpRequest,
        request: PageRequest,
        page: Page<U>,
        convert: impl FnMut(U) -> T,
    ) -> Self {
        let has_next = page.has_next(&request);
        let link = |number: u32| page_link(req, number);
        Self {
            count: page.total,
            next: has_next.then(|| link(request.page() + 1)),
            previous: (request.page() > 1).then(|| {
                // A page past the end links back to the last real page.
                let last = page.total.div_ceil(request.limit()).max(1);
                link((request.page() - 1).min(u32::try_from(last).unwrap_or(u32::MAX)))
            }),
            results: page.items.into_iter().map(convert).collect(),
        }
    }
}

/// The request's own absolute URL with `page` set to `number`.
fn page_link(req: &HttpRequest, number: u32) -> String {
    let info = req.connection_info();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if key != "page" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("page", &number.to_string());
    format!(
        "{}://{}{}?{}",
        info.scheme(),
        info.host(),
        req.path(),
        query.finish()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn rejects_non_numbers_and_zero() {
        let bad = PageQuery {
            page: Some("abc".into()),
            page_size: None,
        };
        assert_eq!(bad.to_request().unwrap_err().code(), "validation_error");
        let zero = PageQuery {
            page: Some("0".into()),
            page_size: None,
        };
        assert!(zero.to_request().is_err());
        let huge = PageQuery {
            page: None,
            page_size: Some("99999999999999999999".into()),
        };
        assert_eq!(huge.to_request().unwrap().size(), 100);
    }

    #[test]
    fn links_keep_filters() {
        let req = TestRequest::get()
            .uri("/api/v1/events/?search=x%20y&page=2&page_size=1")
            .insert_header(("host", "example.com"))
            .to_http_request();
        let request = PageRequest::new(Some(2), Some(1)).unwrap();
        let page = Paginated::new(
            &req,
            request,
            Page {
                total: 3,
                items: vec![1],
            },
            |x| x,
        );
        assert_eq!(
            page.next.as_deref(),
            Some("http://example.com/api/v1/events/?search=x+y&page_size=1&page=3")
        );
        assert_eq!(
            page.previous.as_deref(),
            Some("http://example.com/api/v1/events/?search=x+y&page_size=1&page=1")
        );
    }
}
