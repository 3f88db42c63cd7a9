#pragma once
// tapegrad::data: datasets, data loaders, file readers, and the training-loop helper.
