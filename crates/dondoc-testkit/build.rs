//! Compiles the vendored EventStoreDB/KurrentDB `.proto` files (`proto/`) into the server
//! side of the wire-level peer, with protox (no protoc needed).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["streams.proto", "serverfeatures.proto"];
    for file in files.iter().chain(&["shared.proto", "status.proto", "code.proto"]) {
        println!("cargo:rerun-if-changed=proto/{file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_build::configure().build_client(false).build_server(true).compile_fds(descriptors)?;
    Ok(())
}
