-- Fencing of account ownership across processes. A process that takes an account (its
-- advisory lock) raises the account's token here; every group commit carries the tokens of
-- the accounts it writes for, holds their rows FOR SHARE and fails as a whole when one has
-- moved on. A process that lost its lock without knowing it yet can then write nothing more
-- for the account, and the new owner reads the account's log only after its own raise, so it
-- sees every commit of the old owner that went in.
CREATE TABLE account_owners (
    account_id TEXT PRIMARY KEY,
    token BIGINT NOT NULL
);

CREATE FUNCTION coinswarm_fence(held BOOLEAN, accounts TEXT[]) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT held THEN
        RAISE EXCEPTION 'one of the accounts % is now served by another coinswarm process: this process no longer owns it',
            array_to_string(accounts, ', ')
            USING ERRCODE = 'CS001';
    END IF;
    RETURN TRUE;
END
$$;
