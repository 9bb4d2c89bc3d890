"""Reference data of the national waste catalogs, as shipped with HWMS (loaded by `manage.py load_catalog`).

Sources and their standing:
- the 19 chapters are confirmed; their Vietnamese titles below are the usual wording of the list of Circular
  02/2022/TT-BTNMT (Annex III, Form 01) and should be checked against the legal text;
- the 13 treatment method codes are confirmed (two independent forms);
- the 7 hazard properties are unverified;
- the 12 waste codes are samples, NOT the official list: the administrator imports the official list as a new
  catalog version (Django admin → waste codes → import). Only 01 01 01 and its name are confirmed by two
  independent sources, so it is the only one marked verified; the hazard properties, physical states and class
  markers of every sample are plausible values, not transcriptions of the legal text.

Vietnamese names use the spelling of the legal texts (hóa, thủy: tone on the first vowel of an open "oa", "uy");
catalog.text.legal_spelling turns the older spelling into it, and a test holds this file to it.

Names are data, not interface strings: each row carries its Vietnamese and English name (no gettext).
Physical states are `PhysicalState` keys: solid, liquid, sludge, gas.
"""

import datetime

# (code, Vietnamese name, English name)
CHAPTERS = [
    ("01", "Chất thải từ ngành thăm dò, khai thác, chế biến khoáng sản, dầu khí và than",
     "Wastes from mineral, oil and gas and coal exploration, extraction and processing"),
    ("02", "Chất thải từ ngành sản xuất hóa chất vô cơ", "Wastes from inorganic chemical processes"),
    ("03", "Chất thải từ ngành sản xuất hóa chất hữu cơ", "Wastes from organic chemical processes"),
    ("04", "Chất thải từ ngành nhiệt điện và các quá trình nhiệt khác",
     "Wastes from thermal power plants and other combustion processes"),
    ("05", "Chất thải từ ngành luyện kim và đúc kim loại", "Wastes from metallurgy and metal casting"),
    ("06", "Chất thải từ ngành sản xuất vật liệu xây dựng và thủy tinh",
     "Wastes from the manufacture of glass and building materials"),
    ("07", "Chất thải từ quá trình xử lý, che phủ bề mặt, tạo hình kim loại và các vật liệu khác",
     "Wastes from surface treatment, coating and shaping of metals and other materials"),
    ("08", ("Chất thải từ quá trình sản xuất, điều chế, cung ứng, sử dụng các sản phẩm che phủ (sơn, véc ni, "
            "men thủy tinh), chất kết dính, chất bịt kín và mực in"),
     ("Wastes from the manufacture, formulation, supply and use of coatings (paints, varnishes, vitreous "
      "enamels), adhesives, sealants and printing inks")),
    ("09", "Chất thải từ ngành chế biến gỗ, sản xuất các sản phẩm gỗ, giấy và bột giấy",
     "Wastes from wood processing and the production of wood products, pulp and paper"),
    ("10", "Chất thải từ ngành chế biến da, lông và dệt nhuộm", "Wastes from the leather, fur and textile dyeing industries"),
    ("11", "Chất thải xây dựng và phá dỡ (kể cả đất đào từ các khu vực bị ô nhiễm)",
     "Construction and demolition wastes (including excavated soil from contaminated sites)"),
    ("12", ("Chất thải từ các cơ sở quản lý chất thải, xử lý nước thải tập trung, xử lý nước cấp sinh hoạt "
            "và công nghiệp"),
     ("Wastes from waste management facilities, central wastewater treatment and the preparation of "
      "drinking and industrial water")),
    ("13", "Chất thải từ ngành y tế và thú y (trừ chất thải sinh hoạt từ ngành này)",
     "Wastes from human and animal health care (except their domestic waste)"),
    ("14", "Chất thải từ ngành nông nghiệp, lâm nghiệp và thủy sản", "Wastes from agriculture, forestry and fisheries"),
    ("15", ("Thiết bị, phương tiện giao thông vận tải đã hết hạn sử dụng và chất thải từ hoạt động phá dỡ, "
            "bảo dưỡng thiết bị, phương tiện giao thông vận tải"),
     "End-of-life vehicles and equipment, and wastes from their dismantling and maintenance"),
    ("16", "Chất thải hộ gia đình và chất thải sinh hoạt từ các nguồn khác",
     "Wastes from households and other domestic sources"),
    ("17", "Dầu thải, chất thải từ nhiên liệu lỏng, chất thải dung môi hữu cơ, môi chất lạnh và chất đẩy",
     "Waste oils, liquid fuel wastes, organic solvent wastes, refrigerants and propellants"),
    ("18", "Các loại chất thải bao bì, chất hấp thụ, giẻ lau, vật liệu lọc và vải bảo vệ",
     "Waste packaging, absorbents, wiping rags, filter materials and protective clothing"),
    ("19", "Các loại chất thải khác", "Other wastes"),
]

# (code, Vietnamese name, English name) [unverified]
HAZARD_PROPERTIES = [
    ("N", "Dễ nổ", "Explosive"),
    ("C", "Dễ cháy", "Flammable"),
    ("OH", "Oxy hóa", "Oxidising"),
    ("AM", "Ăn mòn", "Corrosive"),
    ("Đ", "Có độc tính", "Toxic"),
    ("ĐS", "Có độc tính sinh thái", "Ecotoxic"),
    ("LN", "Lây nhiễm", "Infectious"),
]

# (code, Vietnamese name, English name), in the order of the forms [confirmed]
TREATMENT_METHODS = [
    ("TC", "Tận thu/tái chế", "Recovery/recycling"),
    ("TH", "Trung hòa", "Neutralisation"),
    ("PT", "Phân tách/chiết/lọc/kết tủa", "Separation/extraction/filtration/precipitation"),
    ("OH", "Oxy hóa", "Oxidation"),
    ("SH", "Sinh học", "Biological treatment"),
    ("ĐX", "Đồng xử lý", "Co-processing"),
    ("TĐ", "Thiêu đốt", "Incineration"),
    ("HR", "Hóa rắn", "Solidification"),
    ("CL", "Cô lập/đóng kén", "Isolation/encapsulation (not landfill)"),
    ("C", "Chôn lấp", "Landfill"),
    ("TR", "Tẩy rửa", "Washing/cleaning"),
    ("SC", "Sơ chế", "Pre-treatment"),
    ("Khác", "Khác", "Other (state which)"),
]

SAMPLE_VERSION = {
    "label": "Danh mục mẫu (chưa đối chiếu)",
    # Decision 3323/QĐ-BTNMT of 2022-12-01 corrected the waste list of Circular 02/2022/TT-BTNMT.
    "effective_date": datetime.date(2022, 12, 1),
    "source": "Mẫu kèm theo HWMS, chưa đối chiếu Thông tư 02/2022/TT-BTNMT",
}

SAMPLE_WASTE_CODES = [
    {
        "code": "01 01 01",
        "name_vi": "Quặng đuôi có khả năng sinh axit từ quá trình chế biến quặng sunfua",
        "name_en": "Acid-generating tailings from the processing of sulphide ore",
        "class_marker": "NH",
        "hazard_properties": ["Đ", "ĐS"],
        "physical_states": ["solid", "sludge"],
        # The code and its name are confirmed (its properties and states are not).
        "verified": True,
    },
    {
        "code": "12 06 05",
        "name_vi": "Bùn thải có các thành phần nguy hại từ quá trình xử lý nước thải công nghiệp",
        "name_en": "Sludge containing hazardous substances from industrial wastewater treatment",
        "class_marker": "NH",
        "hazard_properties": ["Đ", "ĐS"],
        "physical_states": ["sludge"],
    },
    {
        "code": "13 01 01",
        "name_vi": "Chất thải lây nhiễm (bao gồm cả chất thải sắc nhọn)",
        "name_en": "Infectious waste (including sharps)",
        "class_marker": "NH",
        "hazard_properties": ["LN"],
        "physical_states": ["solid"],
    },
    {
        "code": "13 01 03",
        "name_vi": "Dược phẩm gây độc tế bào thải",
        "name_en": "Cytotoxic and cytostatic medicines",
        "class_marker": "NH",
        "hazard_properties": ["Đ"],
        "physical_states": ["solid", "liquid"],
    },
    {
        "code": "16 01 06",
        "name_vi": "Bóng đèn huỳnh quang và các loại thủy tinh hoạt tính thải",
        "name_en": "Fluorescent lamps and other active glass",
        "class_marker": "NH",
        "hazard_properties": ["Đ"],
        "physical_states": ["solid"],
    },
    {
        "code": "16 01 12",
        "name_vi": "Pin, ắc quy thải",
        "name_en": "Waste batteries and accumulators",
        "class_marker": "NH",
        "hazard_properties": ["Đ", "ĐS"],
        "physical_states": ["solid"],
    },
    {
        "code": "16 01 13",
        "name_vi": "Thiết bị điện, điện tử thải có các linh kiện điện tử nguy hại",
        "name_en": "Waste electrical and electronic equipment containing hazardous components",
        "class_marker": "NH",
        "hazard_properties": ["Đ", "ĐS"],
        "physical_states": ["solid"],
    },
    {
        "code": "17 02 03",
        "name_vi": "Dầu động cơ, hộp số và bôi trơn tổng hợp thải",
        "name_en": "Synthetic engine, gear and lubricating oils",
        "class_marker": "NH",
        "hazard_properties": ["Đ", "ĐS", "C"],
        "physical_states": ["liquid"],
    },
    {
        "code": "17 06 01",
        "name_vi": "Dầu nhiên liệu và dầu diesel thải",
        "name_en": "Fuel oil and diesel",
        "class_marker": "NH",
        "hazard_properties": ["C", "Đ", "ĐS"],
        "physical_states": ["liquid"],
    },
    {
        "code": "18 01 03",
        "name_vi": "Bao bì nhựa cứng thải (đã chứa chất khi thải ra là chất thải nguy hại)",
        "name_en": "Hard plastic packaging contaminated with hazardous substances",
        "class_marker": "NH",
        "hazard_properties": ["Đ", "ĐS"],
        "physical_states": ["solid"],
    },
    {
        "code": "18 02 01",
        "name_vi": "Chất hấp thụ, vật liệu lọc, giẻ lau, vải bảo vệ thải bị nhiễm các thành phần nguy hại",
        "name_en": "Absorbents, filter materials, wiping rags and protective clothing contaminated with hazardous "
        "substances",
        "class_marker": "NH",
        "hazard_properties": ["Đ", "ĐS", "C"],
        "physical_states": ["solid"],
    },
    {
        "code": "19 06 01",
        "name_vi": "Ắc quy chì thải",
        "name_en": "Lead-acid batteries",
        "class_marker": "NH",
        "hazard_properties": ["Đ", "ĐS", "AM"],
        "physical_states": ["solid"],
    },
]
