//! The document as served, and its reference page: built once the routes are known,
//! rebuilt by a reload (the batch bound, `engine.batch_max`, is written into it).

use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwapOption;
use axum::body::Bytes;
use utoipa::openapi::OpenApi as Document;

use crate::config::Config;

#[derive(Default)]
pub struct Published {
    /// The generated document, before the server's bounds are written onto it.
    generated: OnceLock<Document>,
    current: ArcSwapOption<Rendered>,
}

/// `/openapi.json`'s body, and `/redoc`'s page.
pub struct Rendered {
    pub json: Bytes,
    pub page: String,
}

impl Published {
    /// Publishes `generated` under `config`'s bounds (once, when the router is built).
    pub fn publish(&self, generated: Document, config: &Config) {
        let _ = self.generated.set(generated);
        self.refresh(config);
    }

    /// Renders the document again under `config`'s bounds.
    pub fn refresh(&self, config: &Config) {
        let Some(generated) = self.generated.get() else {
            return;
        };
        let served = super::served(generated, config);
        let page = if config.server.docs_enabled {
            super::reference_page(&served)
        } else {
            String::new()
        };
        self.current.store(Some(Arc::new(Rendered {
            json: Bytes::from(serde_json::to_vec(&served).unwrap_or_default()),
            page,
        })));
    }

    pub fn current(&self) -> Option<Arc<Rendered>> {
        self.current.load_full()
    }
}
