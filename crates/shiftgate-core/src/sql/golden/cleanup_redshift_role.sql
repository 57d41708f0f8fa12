-- Shiftgate cleanup: what the vendor's original script left for "metamapper" on Amazon Redshift

-- Run as a superuser in every database the vendor script ran in.
-- Found: role "metamapper" (no user of that name).

-- Statement 2 created role "metamapper"; nobody can log in as it.
DROP ROLE "metamapper";
