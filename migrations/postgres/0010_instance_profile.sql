-- The creation profile (seven mode strengths and energy, little-endian f64s: 64 bytes),
-- from which an instance's state before its first snapshot is rebuilt, so creation no
-- longer writes a snapshot row of about 460 bytes per instance. Instances created before
-- this migration keep their first snapshot and a NULL profile. Adding a nullable column
-- without a default rewrites nothing: instant on a table of any size.
ALTER TABLE instances ADD COLUMN profile BYTEA;
