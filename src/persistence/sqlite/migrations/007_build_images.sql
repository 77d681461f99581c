-- Images: the reference a build was asked to push to (REGISTRY/REPO[:TAG]) and, once pushed, what
-- went there (JSON: ref, digest, tags, layers with digest and size, size, bytes uploaded, duration).
ALTER TABLE builds ADD COLUMN image_ref TEXT;
ALTER TABLE builds ADD COLUMN image TEXT;
