# hello: the example package of the README's "Packaging chores" section.
let lib = import ./lib.nix; in
lib.mkPackage rec {
  pname = "hello";
  version = "1.0.0";
  base = "http://127.0.0.1:8765";

  src = lib.fetchzip {
    url = "${base}/hello-${version}.tar.gz";
    hash = "sha256-m/9uBdxK9bcPWJSqwS9vfPNZCYFRWqvnKz46OiFafRg="; # the release tarball
  };

  # Dependencies listed in the source's deps.txt, fetched like a Go vendor directory.
  vendorHash = "sha256-Ys9AGIYZ7KDRovNLAX5qIzC7U2Ab/dd7rg5VQgE0cA0=";
}
