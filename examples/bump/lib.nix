rec {
  system = builtins.currentSystem;
  # Like nixpkgs' fetchzip: download, unpack, strip the single top-level directory.
  fetchzip = { url, hash, name ? "source" }: derivation {
    inherit name system url;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = hash;
    args = [ "-c" ''
      set -e
      wget -q -O archive.tar.gz "$url"
      mkdir unpacked
      tar -xzf archive.tar.gz -C unpacked
      mv unpacked/* "$out"
    '' ];
  };
  # The dependencies the source lists in deps.txt, fetched into one directory.
  fetchVendor = { src, base, hash }: derivation {
    name = "vendor";
    inherit system src base;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = hash;
    args = [ "-c" ''
      set -e
      mkdir "$out"
      while read dep; do wget -q -O "$out/$dep" "$base/deps/$dep"; done < "$src/deps.txt"
    '' ];
  };
  mkPackage = { pname, version, src, vendorHash, base, ... }:
    let vendor = fetchVendor { inherit src base; hash = vendorHash; };
    in derivation {
      name = "${pname}-${version}";
      inherit system src vendor version;
      builder = "/bin/sh";
      PATH = "/usr/bin:/bin";
      args = [ "-c" ''
        set -e
        mkdir -p "$out/bin"
        printf '#!/bin/sh\necho "hello %s: %s, deps: %s"\n' "$version" "$(cat $src/main.txt)" "$(ls $vendor | tr '\n' ' ')" > "$out/bin/hello"
        chmod +x "$out/bin/hello"
      '' ];
    };
}
