//! The `confab` command: `serve` (default), `migrate`, `openapi`, `reindex`, `admin`, `backup`,
//! `export`.

use clap::Parser;
use confab::config::{Cli, Command, LogFormat};
use confab::startup::Application;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            print!("{}", confab::openapi::yaml()?);
            Ok(())
        }
        Command::Migrate => {
            init_logging(config.log_format);
            let url = config.database_url();
            if confab::store::is_postgres(&url) {
                confab::store::migrate_postgres(url).await?;
            } else {
                confab::store::migrate_sqlite(url).await?;
            }
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Reindex => {
            init_logging(config.log_format);
            let store = confab::store::Store::open(&config.database_url(), 1).await?;
            let started = std::time::Instant::now();
            confab::store::search::rebuild(&store).await?;
            tracing::info!(
                store = store.kind(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "search index rebuilt"
            );
            Ok(())
        }
        Command::Admin { command } => {
            let store = confab::store::Store::open(&config.database_url(), 1).await?;
            confab::admin_cli::run(&store, command).await
        }
        Command::Backup { dir } => confab::backup::backup(&config, &dir).await,
        Command::Export { room } => {
            let store = confab::store::Store::open(&config.database_url(), 1).await?;
            confab::backup::export(&store, room).await
        }
        Command::Serve => {
            init_logging(config.log_format);
            Application::build(config).await?.run_until_stopped().await
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("CONFAB_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
