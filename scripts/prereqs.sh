# Sourced by scripts/demo and scripts/test: checks what they need before the long build,
# one clear line per missing tool, and stops with all of them listed.
#
#   need_tools demo   # cargo, rustc
#   need_tools test   # ... plus rustfmt, clippy, nightly (fuzzing), python3 with venv,
#                     # Java 17+ (Spark), the AArch64 target, qemu-user and its linker

need_tools() {
  local what="$1" missing=()
  command -v cargo >/dev/null 2>&1 ||
    missing+=("cargo: install the Rust toolchain (https://rustup.rs), then open a new shell")
  command -v rustc >/dev/null 2>&1 ||
    missing+=("rustc: install the Rust toolchain (https://rustup.rs)")
  if [ "$what" = test ]; then
    cargo fmt --version >/dev/null 2>&1 ||
      missing+=("rustfmt: rustup component add rustfmt")
    cargo clippy --version >/dev/null 2>&1 ||
      missing+=("clippy: rustup component add clippy")
    if ! command -v python3 >/dev/null 2>&1; then
      missing+=("python3 (3.9 or later): e.g. apt-get install python3 python3-venv")
    elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
      missing+=("python3's venv module: e.g. apt-get install python3-venv")
    fi
    if ! command -v chromium >/dev/null 2>&1 &&
      ! { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }; then
      missing+=("chromium, for the browser test of the HTML report: e.g. sudo apt-get install chromium")
    fi
    if ! { command -v qemu-aarch64 >/dev/null 2>&1 && command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; } &&
      ! { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }; then
      missing+=("qemu-user and an AArch64 linker, for lake-core's tests on the Lambda's architecture: e.g. sudo apt-get install qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross")
    fi
    rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$' ||
      rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 ||
      missing+=("the AArch64 standard library, for lake-core's tests on the Lambda's architecture: rustup target add aarch64-unknown-linux-gnu")
    rustup run nightly rustc --version >/dev/null 2>&1 ||
      missing+=("the nightly Rust toolchain, for the fuzz targets (cargo-fuzz): rustup toolchain install nightly")
    local java
    java=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
    if [ -z "$java" ] || [ "$java" -lt 17 ]; then
      missing+=("Java 17 or later, for the Spark test of the Athena DDL: e.g. apt-get install openjdk-17-jre-headless${java:+ (found Java $java)}")
    fi
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'missing: %s\n' "${missing[@]}" >&2
    return 1
  fi
}
