-- The rest of the image pipeline: the runtime settings asked for (JSON: entrypoint, cmd, env,
-- workingDir, exposedPorts, user), the deploy hook URL, and its accepted delivery (JSON: url,
-- deliveryId, status, attempts, durationMs).
ALTER TABLE builds ADD COLUMN image_config TEXT;
ALTER TABLE builds ADD COLUMN deploy_hook TEXT;
ALTER TABLE builds ADD COLUMN deploy TEXT;
