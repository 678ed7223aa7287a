/*
 * asn1c 0.9.28 with -gen-PER (used only to keep SIZE bounds, see
 * CMakeLists.txt) refers to a SET OF PER encoder its skeletons do not ship.
 * We never encode PER: this one refuses, as asn1c does for unsupported types.
 */
#include <constr_SET_OF.h>

asn_enc_rval_t SET_OF_encode_uper(asn_TYPE_descriptor_t *td, asn_per_constraints_t *constraints, void *sptr,
				  asn_per_outp_t *po)
{
	asn_enc_rval_t er = { -1, td, sptr };

	(void)constraints;
	(void)po;
	return er;
}
