//! Compiles the gRPC contract with a vendored protoc, so a fresh machine needs
//! no system protobuf compiler, and writes the descriptor set that server
//! reflection serves.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/modelgate/v1/gateway.proto",
        "proto/modelgate/v1/chat.proto",
        "proto/modelgate/v1/embed.proto",
        "proto/modelgate/v1/models.proto",
        "proto/modelgate/v1/deployments.proto",
        "proto/modelgate/v1/responses.proto",
        "proto/modelgate/v1/routing.proto",
    ];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("modelgate_descriptor.bin"))
        .compile_with_config(config, &protos, &["proto"])?;
    Ok(())
}
