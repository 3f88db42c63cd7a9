// The indexing and ordering ops against the values PyTorch 1.13 computed in float64
// (tests/golden/indexing_golden.txt, made by tests/golden/gen_indexing.py): each case's output to
// 1e-12 relative, then backward(gout) and each input's gradient. The index tensors of each case
// are written here as in the generator.

#include <functional>
#include <map>

#include "tests/autograd/indexing_test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using namespace tapegrad::indexing;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor ints(const TensorData& v) {
    return tensor(v, kInt64);
}
Tensor bools(const TensorData& v) {
    return tensor(v, kBool);
}
Tensor mask34() {
    return bools({{1, 0, 1, 0}, {0, 0, 1, 1}, {1, 1, 0, 0}});
}

const std::map<std::string, Fn>& cases() {
    static const std::map<std::string, Fn> m = {
        // ---- Python indexing
        {"index_basic",
         [](const auto& in) {
             return in[0].index({Slice(1, None), 0, None, Slice(None, None, 2)}) * 2.0;
         }},
        {"index_ellipsis",
         [](const auto& in) {
             return in[0].index({Ellipsis, 1}) +
                    in[0].index({0, "..."}).sum(0).index({Slice(None, 3)});
         }},
        {"index_positions_repeated",
         [](const auto& in) {
             return in[0].index({ints({2, 0, 2})});
         }},
        {"index_positions_negative",
         [](const auto& in) {
             return in[0].index({Slice(), ints({-1, 0})});
         }},
        {"index_adjacent_broadcast",
         [](const auto& in) {
             return in[0].index({Slice(), ints({{0}, {2}}), ints({1, 3, 4})});
         }},
        {"index_separated",
         [](const auto& in) {
             return in[0].index({ints({0, 1, 1}), Slice(), ints({4, 0, 2})});
         }},
        {"index_int_then_positions",
         [](const auto& in) {
             return in[0].index({1, Slice(), ints({3, 0})});
         }},
        {"index_mask", [](const auto& in) { return in[0].index({mask34()}); }},
        {"index_mask_on_dim1",
         [](const auto& in) {
             return in[0].index({Slice(), bools({1, 0, 1})});
         }},
        {"index_transposed",
         [](const auto& in) {
             return in[0].t().index({ints({1, 0, 1})});
         }},
        {"index_put_positions",
         [](const auto& in) {
             Tensor y = in[0].clone();
             y.index_put_({ints({2, 0}), Slice(1, 3)}, in[1]);
             return y * in[0];
         }},
        {"index_put_accumulate",
         [](const auto& in) {
             Tensor y = in[0].clone();
             y.index_put_({ints({1, 3, 1})}, in[1], /*accumulate=*/true);
             return y * in[0];
         }},
        {"index_put_duplicates",
         [](const auto& in) {
             Tensor y = in[0].clone();
             y.index_put_({ints({1, 1})}, in[1]);
             return y * 1.0;
         }},
        {"index_put_mask_scalar",
         [](const auto& in) {
             Tensor y = in[0].clone();
             y.index_put_({mask34()}, 0.5);
             return y * in[0];
         }},
        {"index_put_through_view",
         [](const auto& in) {
             Tensor y = in[0] * 1.0;
             y[1].index_put_({ints({0, 2})}, in[1]);
             return y.sin();
         }},
        {"take",
         [](const auto& in) {
             return take(in[0], ints({{0, 5}, {-1, 5}}));
         }},
        {"take_transposed",
         [](const auto& in) {
             return in[0].t().take(ints({1, 2}));
         }},
        // ---- masks
        {"masked_fill", [](const auto& in) { return in[0].masked_fill(mask34(), 2.5) * in[0]; }},
        {"masked_fill_value_tensor",
         [](const auto& in) {
             return in[0].masked_fill(bools({1, 0, 1, 0}), in[1]);
         }},
        {"masked_fill_inplace_view",
         [](const auto& in) {
             Tensor y = in[0] * 1.0;
             y.select(1, 1).masked_fill_(bools({1, 0, 1}), -1.0);
             return y * in[0];
         }},
        {"masked_select_broadcast",
         [](const auto& in) {
             return in[0].masked_select(bools({0, 1, 1, 0}));
         }},
        {"nonzero", [](const auto& in) { return nonzero(in[0] > 0); }},
        {"argwhere_3d", [](const auto& in) { return argwhere(in[0] < 0); }},
        {"any_dim", [](const auto& in) { return any(in[0] > 0.8, 1); }},
        {"all_dim_keepdim", [](const auto& in) { return all(in[0] > -0.8, 0, /*keepdim=*/true); }},
        // ---- writes along a dim
        {"index_add",
         [](const auto& in) {
             return in[0].index_add(0, ints({1, 3, 1}), in[1], 2);
         }},
        {"index_add_inplace_dim1",
         [](const auto& in) {
             Tensor y = in[0].clone();
             y.index_add_(1, ints({2, 0}), in[1]);
             return y * in[0];
         }},
        {"index_copy",
         [](const auto& in) {
             return in[0].index_copy(1, ints({2, 0}), in[1]) * in[0];
         }},
        {"index_fill",
         [](const auto& in) {
             return in[0].index_fill(1, ints({0, 2}), -1.0) * in[0];
         }},
        {"scatter",
         [](const auto& in) {
             return in[0].scatter(1, ints({{2, 0}, {1, 3}, {0, 0}}), in[1]);
         }},
        {"scatter_value",
         [](const auto& in) {
             return in[0].scatter(0, ints({{1, 0, 2, 2}}), 1.5) * in[0];
         }},
        {"scatter_add",
         [](const auto& in) {
             return in[0].scatter_add(0, ints({{0, 2, 2, 1}, {0, 0, 2, 1}}), in[1]);
         }},
        {"scatter_inplace_transposed_view",
         [](const auto& in) {
             Tensor y = in[0] * 1.0;
             y.t().scatter_(1, ints({{2}, {0}, {1}, {2}}), in[1]);
             return y * in[0];
         }},
        {"gather",
         [](const auto& in) {
             return in[0].gather(1, ints({{0, 0}, {3, 1}, {2, 2}}));
         }},
        // ---- ordering
        {"sort_values", [](const auto& in) { return std::get<0>(in[0].sort(1)); }},
        {"sort_indices", [](const auto& in) { return std::get<1>(sort(in[0], 1)); }},
        {"sort_descending_dim0",
         [](const auto& in) { return std::get<0>(in[0].t().sort(0, /*descending=*/true)); }},
        {"sort_ties_indices", [](const auto& in) { return std::get<1>(in[0].sort()); }},
        {"sort_ties_descending_indices",
         [](const auto& in) { return std::get<1>(in[0].sort(-1, true)); }},
        {"argsort", [](const auto& in) { return argsort(in[0], 0); }},
        {"topk_values", [](const auto& in) { return std::get<0>(in[0].topk(2, 1)); }},
        {"topk_indices", [](const auto& in) { return std::get<1>(topk(in[0], 2, 1)); }},
        {"topk_smallest",
         [](const auto& in) { return std::get<0>(in[0].topk(3, 0, /*largest=*/false)); }},
        {"kthvalue", [](const auto& in) { return std::get<0>(in[0].kthvalue(2, 1)); }},
        {"kthvalue_keepdim_indices",
         [](const auto& in) { return std::get<1>(kthvalue(in[0], 3, 0, true)); }},
        {"kthvalue_keepdim",
         [](const auto& in) { return std::get<0>(kthvalue(in[0], 3, 0, true)); }},
        // ---- scans
        {"cumsum", [](const auto& in) { return in[0].cumsum(1); }},
        {"cumsum_dim0_transposed", [](const auto& in) { return cumsum(in[0].t(), 0); }},
        {"cumprod", [](const auto& in) { return in[0].cumprod(1); }},
        {"cumprod_zeros", [](const auto& in) { return cumprod(in[0], 1); }},
        // ---- rearrangements
        {"flip",
         [](const auto& in) {
             return flip(in[0], {0, 2});
         }},
        {"flip_transposed", [](const auto& in) { return in[0].t().flip(1); }},
        {"roll",
         [](const auto& in) {
             return in[0].roll({1, -2}, {0, 1});
         }},
        {"roll_flat", [](const auto& in) { return roll(in[0], 5); }},
        {"repeat",
         [](const auto& in) {
             return in[0].repeat({2, 1, 3});
         }},
        {"repeat_interleave",
         [](const auto& in) {
             return repeat_interleave(in[0], ints({1, 0, 2}), 0);
         }},
        {"repeat_interleave_flat", [](const auto& in) { return in[0].repeat_interleave(2); }},
        {"tril", [](const auto& in) { return tril(in[0], -1); }},
        {"triu", [](const auto& in) { return in[0].triu(1); }},
        // ---- einsum
        {"einsum_matmul",
         [](const auto& in) {
             return einsum("ij,jk->ik", {in[0], in[1]});
         }},
        {"einsum_batched",
         [](const auto& in) {
             return einsum("bij,bjk->bik", {in[0], in[1]});
         }},
        {"einsum_transpose", [](const auto& in) { return einsum("ij->ji", {in[0]}); }},
        {"einsum_trace", [](const auto& in) { return einsum("ii->", {in[0]}); }},
        {"einsum_diagonal", [](const auto& in) { return einsum("ii->i", {in[0]}); }},
        {"einsum_outer",
         [](const auto& in) {
             return einsum("i,j->ij", {in[0], in[1]});
         }},
        {"einsum_sum", [](const auto& in) { return einsum("ijk->j", {in[0]}); }},
        {"einsum_bilinear",
         [](const auto& in) {
             return einsum("bn,anm,bm->ba", {in[0], in[1], in[2]});
         }},
        {"einsum_ellipsis_implicit",
         [](const auto& in) {
             return einsum("...ij,...jk", {in[0], in[1]});
         }},
        {"einsum_dot_broadcast",
         [](const auto& in) {
             return einsum("i,i->", {in[0], in[1]});
         }},
    };
    return m;
}

}  // namespace

TEST_SUITE("indexing/golden") {
    TEST_CASE(
        "indexing golden: every case of indexing_golden.txt matches PyTorch, values and "
        "gradients") {
        const std::vector<GoldenCase> golden =
            read_golden(TAPEGRAD_GOLDEN_DIR "/indexing_golden.txt");
        REQUIRE(golden.size() == cases().size());
        for (const GoldenCase& c : golden) {
            REQUIRE_MESSAGE(cases().count(c.name) == 1, "no function for golden case " << c.name);
            check_golden_case(c, cases().at(c.name));
        }
    }

}  // TEST_SUITE
