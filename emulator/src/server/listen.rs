//! Listening: the main endpoint over HTTP and the issuer over HTTPS, with
//! the certificate the emulator made for itself.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::emulator::Emulator;

/// A running emulator's addresses; dropping `shutdown`'s sender stops it.
#[derive(Debug)]
pub struct Listening {
    pub endpoint: SocketAddr,
    pub issuer_endpoint: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Listening {
    /// `http://HOST:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.endpoint)
    }

    /// `https://HOST:PORT` of the issuer documents.
    pub fn issuer_url(&self) -> String {
        format!("https://{}", self.issuer_endpoint)
    }

    /// Stops accepting and waits for the listeners to end.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Binds both listeners (port 0 picks a free one) and serves until stopped.
pub async fn start(emulator: Arc<Emulator>, host: IpAddr, port: u16, issuer_port: u16) -> std::io::Result<Listening> {
    let listener = TcpListener::bind((host, port)).await?;
    let issuer_listener = TcpListener::bind((host, issuer_port)).await?;
    let endpoint = listener.local_addr()?;
    let issuer_endpoint = issuer_listener.local_addr()?;
    let (shutdown, stopped) = watch::channel(false);

    let app = super::router(emulator.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let mut stop_main = stopped.clone();
    let main = tokio::spawn(async move {
        let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stop_main.wait_for(|s| *s).await;
        });
        if let Err(e) = serving.await {
            tracing::error!("the endpoint stopped: {e}");
        }
    });

    let config = emulator
        .tls
        .server_config()
        .map_err(|e| std::io::Error::other(format!("cannot set up TLS: {e}")))?;
    let acceptor = TlsAcceptor::from(config);
    let issuer_app = super::issuer_router(emulator);
    let mut stop_issuer = stopped;
    let issuer = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = issuer_listener.accept() => accepted,
                _ = stop_issuer.wait_for(|s| *s) => break,
            };
            let Ok((stream, _)) = accepted else { continue };
            let acceptor = acceptor.clone();
            let service = TowerToHyperService::new(issuer_app.clone());
            tokio::spawn(async move {
                // A client that fails the handshake (an untrusted CA, say) only loses its own connection.
                let Ok(tls) = acceptor.accept(stream).await else { return };
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });

    Ok(Listening {
        endpoint,
        issuer_endpoint,
        shutdown,
        tasks: vec![main, issuer],
    })
}
